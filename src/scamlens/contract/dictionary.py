"""The bilingual data dictionary (数据字典), rendered from the declarations in code.

``docs/data-dictionary.md`` is this module's output (a test keeps them equal), and
every export carries the same text, so what the documents say is what the code does.
"""

from __future__ import annotations

import pyarrow as pa

from scamlens.contract.columns import BOOL_FALSE, BOOL_TRUE, COLUMNS
from scamlens.contract.enums import LABELS

__all__ = ["dictionary_markdown", "dictionary_table"]


def _values(values: tuple[str, ...]) -> str:
    shown = []
    for code in values:
        zh, en = LABELS.get(code, ("", ""))
        shown.append(f"`{code}` {zh}" if zh else f"`{code}`")
    return ", ".join(shown)


def dictionary_table() -> pa.Table:
    """The record contract as a table (for Excel exports)."""
    return pa.table(
        {
            "column": [c.name for c in COLUMNS],
            "type": [c.kind.value for c in COLUMNS],
            "required": ["yes" if c.required else "no" for c in COLUMNS],
            "中文说明": [c.zh for c in COLUMNS],
            "meaning": [c.en for c in COLUMNS],
            "values": [", ".join(c.values) for c in COLUMNS],
        }
    )


def _indicator_rows() -> list[str]:
    from scamlens.indicators.definitions import COUNTS, RATIOS

    rows = []
    for count in COUNTS:
        rule = (
            " AND ".join(count.requires) if count.requires else "every counted attempt"
        )
        rows.append(f"| `{count.name}` | {count.zh} | {count.en} | count of: {rule} |")
    for ratio in RATIOS:
        rows.append(
            f"| `{ratio.name}` | {ratio.zh} | {ratio.en} | "
            f"`{ratio.numerator}` / `{ratio.denominator}`; empty when 0 |"
        )
    return rows


def _dimension_rows() -> list[str]:
    from scamlens.indicators.dimensions import DIMENSIONS

    return [f"| `{d.name}` | {d.zh} | {d.en} | `{d.example}` |" for d in DIMENSIONS]


def _rule_rows() -> list[str]:
    from scamlens.cleaning.rules import RULES

    return [f"| {i} | `{r.code}` | {r.zh} | {r.en} |" for i, r in enumerate(RULES, 1)]


def dictionary_markdown() -> str:
    """The data dictionary as Markdown."""
    lines = [
        "# Data dictionary 数据字典",
        "",
        "Generated from `scamlens.contract.dictionary`; do not edit by hand.",
        "本文件由代码生成，请勿手工修改。",
        "",
        "## Outreach record 触达记录",
        "",
        "One row is one outreach attempt. Extra columns are kept but ignored.",
        "一行即一次触达尝试；其他列会保留但不参与计算。",
        "",
        "| column 列 | type 类型 | required 必填 | 中文说明 | meaning | values 取值 |",
        "|---|---|---|---|---|---|",
    ]
    for c in COLUMNS:
        lines.append(
            f"| `{c.name}` | {c.kind.value} | {'yes 是' if c.required else 'no 否'} | "
            f"{c.zh} | {c.en} | {_values(c.values)} |"
        )
    lines += [
        "",
        f"Booleans 布尔值: true = {', '.join(BOOL_TRUE)}; false = "
        f"{', '.join(BOOL_FALSE)} (any case 不区分大小写).",
        "Times without an offset are Asia/Shanghai; day, hour and week are local. "
        "A time is usable from 1901-01-01 to 9999-12-31, and a zone name only when "
        "the IANA time-zone database knows it (`UTC`, `Asia/Shanghai`; not `CST`, "
        "which some readers take for US Central time); other times are bad values.",
        "不带时区的时间按北京时间解释；日、小时、周均按北京时间。"
        "时间须在 1901-01-01 至 9999-12-31 之间；时区名须为 IANA 时区库所收录"
        "（如 `UTC`、`Asia/Shanghai`；`CST` 有歧义，可能被读作美国中部时间，"
        "不予接受），"
        "否则视为无法解析的值（bad_value）。",
        "",
        "Versions 版本: the same `outreach_id` read again is a newer version. Versions "
        "are folded in read order: a version replaces the current one unless both "
        "have `updated_at` and the current one's is later. 同一编号再次出现即为新版本；"
        "按读取顺序合并，除非两者都有 `updated_at` 且当前版本更晚，"
        "否则新读到的版本生效。",
        "",
        "## Cleaning rules 清洗规则 (in order 按顺序)",
        "",
        "| # | code 代码 | 中文 | English |",
        "|---|---|---|---|",
        *_rule_rows(),
        "",
        "## Indicators 指标",
        "",
        "| name | 中文 | English | definition 定义 |",
        "|---|---|---|---|",
        *_indicator_rows(),
        "",
        "Rates carry a Wilson 95% interval (`<rate>_lower`, `<rate>_upper`) in "
        "Parquet, Excel and API outputs. "
        "比率在 Parquet、Excel 与 API 输出中附 Wilson 95% 置信区间。",
        "",
        "## Dimensions 维度",
        "",
        "| name | 中文 | English | example 示例 |",
        "|---|---|---|---|",
        *_dimension_rows(),
        "",
        "Age bands 年龄段: 0-17, 18-24, 25-34, 35-44, 45-54, 55-64, 65+, unknown.",
        "",
    ]
    return "\n".join(lines)
