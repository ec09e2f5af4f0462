"""The simulated territory: county-level regions of five cities of Zhejiang.

The simulator draws every citizen's ``region_code`` from these GB/T 2260 codes, with
weights that follow the resident population (2020 census, rounded, in ten-thousands),
so big districts get more outreach than mountain counties, as they do in practice.

The name tables are meant for reuse: a dashboard or a report can map a county, city or
province code to its Chinese and English name with :data:`REGION_NAMES` without
knowing that the data was simulated. :data:`COUNTIES`, :data:`CITIES` and
:data:`PROVINCES` hold the levels separately.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

__all__ = [
    "CITIES",
    "COUNTIES",
    "County",
    "PROVINCES",
    "REGION_NAMES",
    "counties_in",
    "county",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class County:
    """One county-level region: code, names and resident population (10k)."""

    code: str
    zh: str
    en: str
    population: int

    @property
    def city(self) -> str:
        """The city-level code (first four digits and ``00``)."""
        return self.code[:4] + "00"


PROVINCES: dict[str, tuple[str, str]] = {"330000": ("浙江省", "Zhejiang Province")}

CITIES: dict[str, tuple[str, str]] = {
    "330100": ("杭州市", "Hangzhou"),
    "330200": ("宁波市", "Ningbo"),
    "330300": ("温州市", "Wenzhou"),
    "330600": ("绍兴市", "Shaoxing"),
    "330700": ("金华市", "Jinhua"),
}

_COUNTIES: tuple[County, ...] = (
    # Hangzhou, after the 2021 redistricting.
    County("330102", "上城区", "Shangcheng District", 132),
    County("330105", "拱墅区", "Gongshu District", 112),
    County("330106", "西湖区", "Xihu District", 114),
    County("330108", "滨江区", "Binjiang District", 50),
    County("330109", "萧山区", "Xiaoshan District", 201),
    County("330110", "余杭区", "Yuhang District", 123),
    County("330111", "富阳区", "Fuyang District", 83),
    County("330112", "临安区", "Lin'an District", 63),
    County("330113", "临平区", "Linping District", 117),
    County("330114", "钱塘区", "Qiantang District", 77),
    County("330122", "桐庐县", "Tonglu County", 45),
    County("330127", "淳安县", "Chun'an County", 33),
    County("330182", "建德市", "Jiande City", 44),
    # Ningbo.
    County("330203", "海曙区", "Haishu District", 104),
    County("330205", "江北区", "Jiangbei District", 49),
    County("330206", "北仑区", "Beilun District", 83),
    County("330211", "镇海区", "Zhenhai District", 51),
    County("330212", "鄞州区", "Yinzhou District", 162),
    County("330213", "奉化区", "Fenghua District", 58),
    County("330225", "象山县", "Xiangshan County", 57),
    County("330226", "宁海县", "Ninghai County", 70),
    County("330281", "余姚市", "Yuyao City", 125),
    County("330282", "慈溪市", "Cixi City", 183),
    # Wenzhou.
    County("330302", "鹿城区", "Lucheng District", 124),
    County("330303", "龙湾区", "Longwan District", 76),
    County("330304", "瓯海区", "Ouhai District", 96),
    County("330305", "洞头区", "Dongtou District", 10),
    County("330324", "永嘉县", "Yongjia County", 87),
    County("330326", "平阳县", "Pingyang County", 86),
    County("330327", "苍南县", "Cangnan County", 84),
    County("330328", "文成县", "Wencheng County", 29),
    County("330329", "泰顺县", "Taishun County", 27),
    County("330381", "瑞安市", "Rui'an City", 152),
    County("330382", "乐清市", "Yueqing City", 145),
    County("330383", "龙港市", "Longgang City", 46),
    # Shaoxing.
    County("330602", "越城区", "Yuecheng District", 102),
    County("330603", "柯桥区", "Keqiao District", 109),
    County("330604", "上虞区", "Shangyu District", 83),
    County("330624", "新昌县", "Xinchang County", 43),
    County("330681", "诸暨市", "Zhuji City", 122),
    County("330683", "嵊州市", "Shengzhou City", 68),
    # Jinhua.
    County("330702", "婺城区", "Wucheng District", 97),
    County("330703", "金东区", "Jindong District", 54),
    County("330723", "武义县", "Wuyi County", 46),
    County("330726", "浦江县", "Pujiang County", 46),
    County("330727", "磐安县", "Pan'an County", 18),
    County("330781", "兰溪市", "Lanxi City", 58),
    County("330782", "义乌市", "Yiwu City", 186),
    County("330783", "东阳市", "Dongyang City", 109),
    County("330784", "永康市", "Yongkang City", 96),
)

COUNTIES: dict[str, County] = {c.code: c for c in _COUNTIES}

REGION_NAMES: dict[str, tuple[str, str]] = {
    **PROVINCES,
    **CITIES,
    **{c.code: (c.zh, c.en) for c in _COUNTIES},
}
"""Every code the simulator knows (province, cities, counties) → (中文, English)."""


def county(code: str) -> County:
    """Return the county with ``code``; KeyError if it is not simulated."""
    return COUNTIES[code]


def counties_in(codes: tuple[str, ...] | None = None) -> tuple[County, ...]:
    """Expand county, city or province codes to counties, in code order.

    ``None`` means every simulated county. A city code (``3303xx`` ending in ``00``)
    stands for all its counties; ``330000`` for the whole province. Unknown codes
    raise KeyError naming the code, for the caller to turn into a user error.
    """
    if not codes:
        return _COUNTIES
    chosen: dict[str, County] = {}
    for code in codes:
        if code in COUNTIES:
            chosen[code] = COUNTIES[code]
        elif code in CITIES:
            chosen.update({c.code: c for c in _COUNTIES if c.city == code})
        elif code in PROVINCES:
            chosen.update({c.code: c for c in _COUNTIES if c.code[:2] == code[:2]})
        else:
            raise KeyError(code)
    return tuple(chosen[k] for k in sorted(chosen))
