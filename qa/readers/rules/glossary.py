"""English words the rule reader maps to Chinese, so English questions can anchor on Chinese text: a small
bilingual glossary of common economic/news words, English measure nouns, and month names."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

MONTHS_EN: Mapping[str, int] = MappingProxyType({
    m: i
    for i, m in enumerate(
        ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
         "november", "december"),
        1,
    )
})  # fmt: skip

# A small bilingual glossary of common economic/news words, so English questions can anchor on Chinese text.
ENGLISH_GLOSSARY: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "little giant": ("小巨人",), "little giants": ("小巨人",), "small and medium": ("中小",),
    "smes": ("中小企业",), "sme": ("中小企业",), "company": ("公司", "企业"), "companies": ("公司", "企业"),
    "firm": ("企业", "公司"), "firms": ("企业", "公司"), "enterprise": ("企业",), "enterprises": ("企业",),
    "business": ("企业",), "businesses": ("企业",), "government": ("政府",), "ministry": ("部",),
    "minister": ("部长",), "vice minister": ("副部长",), "industry": ("产业", "工业", "行业"),
    "industrial": ("工业", "产业"), "manufacturing": ("制造业", "制造"), "digital": ("数字",),
    "digitalization": ("数字化",), "digital transformation": ("数字化转型",), "transformation": ("转型",),
    "innovation": ("创新",), "technology": ("技术", "科技"), "research": ("研究", "研发"),
    "development": ("发展", "研发"), "robot": ("机器人",), "robots": ("机器人",), "platform": ("平台",),
    "internet": ("互联网",), "province": ("省", "省份"), "city": ("市", "城市"), "country": ("国", "国家"),
    "national": ("国家", "全国"), "china": ("中国", "我国"), "chinese": ("中国",), "list": ("名单",),
    "batch": ("批",), "batches": ("批",), "first": ("第一", "首"), "second": ("第二",), "third": ("第三",),
    "fourth": ("第四",), "fifth": ("第五",), "billion": ("亿",), "million": ("万",), "yuan": ("元",),
    "percent": ("%",), "year": ("年",), "month": ("月",), "founder": ("创始人",), "chairman": ("董事长",),
    "president": ("总裁", "主席"), "general manager": ("总经理",), "ceo": ("CEO",), "engineer": ("工程师",),
    "chief engineer": ("总工程师",), "professor": ("教授",), "university": ("大学",), "bank": ("银行",),
    "banks": ("银行",), "financing": ("融资",), "finance": ("金融",), "investment": ("投资",),
    "market": ("市场",), "share": ("占比", "份额"), "output": ("产量", "产值"), "cost": ("成本",),
    "costs": ("成本",), "efficiency": ("效率",), "production": ("生产",), "product": ("产品",),
    "products": ("产品",), "factory": ("工厂",), "factories": ("工厂",), "talent": ("人才",),
    "talents": ("人才",), "employees": ("员工",), "workers": ("工人",), "customers": ("客户",),
    "clients": ("客户",), "rocket": ("火箭",), "satellite": ("卫星",), "launch": ("发射",),
    "launched": ("发射", "上线"), "listed": ("上市",), "ipo": ("上市", "IPO"),
    "stock exchange": ("交易所",), "policy": ("政策",), "policies": ("政策",), "plan": ("规划", "计划"),
    "growth": ("增长",), "increase": ("增长", "提升"), "grew": ("增长",), "revenue": ("收入",),
    "export": ("出口",), "energy": ("能源", "能耗"), "new energy": ("新能源",), "materials": ("材料",),
    "new materials": ("新材料",), "medical": ("医疗",), "lock": ("锁",), "speed": ("速度",),
    "seconds": ("秒",), "days": ("天",), "tons": ("吨",), "magnet": ("磁铁",), "magnets": ("磁铁",),
    "phone": ("手机",), "mobile phone": ("手机",), "film": ("膜",), "specialized": ("专精特新",),
    "sophisticated": ("专精特新",), "champion": ("冠军",), "champions": ("冠军",),
    "single champion": ("单项冠军",), "provincial": ("省级",), "national-level": ("国家级",),
    "training": ("培训",), "support": ("支持",), "data": ("数据",), "cloud": ("云",), "standard": ("标准",),
    "patent": ("专利",), "patents": ("专利",), "funding": ("资金",), "fund": ("资金", "基金"),
    "subsidy": ("补贴",), "tax": ("税",), "predecessor": ("前身",), "formerly": ("前身",),
    "before": ("前身", "之前"), "founded": ("成立", "设立", "创立"), "established": ("成立", "设立"),
    "xinhua": ("新华社",), "ministry of industry and information technology": ("工信部",),
    "miit": ("工信部",), "minister of industry and information technology": ("工信部部长",),
    "value added": ("增加值",), "total": ("总量", "总"), "first half": ("上半年",), "most": ("最多",),
    "largest": ("最多", "最大"), "jobs": ("岗位",), "recruitment": ("招聘",), "benefit": ("效益",),
    "economic": ("经济",), "automation": ("自动化",), "tonne": ("吨",), "per": ("每",),
    "vice president": ("副总裁",), "general manager of": ("总经理",), "founder of": ("创始人",),
    "price": ("价格", "售价"), "employees of": ("员工",), "headquarters": ("总部",),
    "capital": ("资本", "首都"), "beijing": ("北京",), "shanghai": ("上海",), "tianjin": ("天津",),
    "chongqing": ("重庆",), "guangdong": ("广东",), "shandong": ("山东",), "zhejiang": ("浙江",),
    "jiangsu": ("江苏",), "fujian": ("福建",), "hebei": ("河北",), "henan": ("河南",), "hubei": ("湖北",),
    "hunan": ("湖南",), "anhui": ("安徽",), "jiangxi": ("江西",), "sichuan": ("四川",),
    "shaanxi": ("陕西",), "shanxi": ("山西",), "gansu": ("甘肃",), "yunnan": ("云南",),
    "guizhou": ("贵州",), "guangxi": ("广西",), "hainan": ("海南",), "liaoning": ("辽宁",),
    "jilin": ("吉林",), "heilongjiang": ("黑龙江",), "inner mongolia": ("内蒙古",), "xinjiang": ("新疆",),
    "tibet": ("西藏",), "ningxia": ("宁夏",), "qinghai": ("青海",), "hong kong": ("香港",),
    "macau": ("澳门",), "taiwan": ("台湾",), "hangzhou": ("杭州",), "shenzhen": ("深圳",),
    "guangzhou": ("广州",), "wuhan": ("武汉",), "chengdu": ("成都",), "nanjing": ("南京",),
    "suzhou": ("苏州",), "xi'an": ("西安",), "zhengzhou": ("郑州",), "lanzhou": ("兰州",),
    "jinan": ("济南",), "qingdao": ("青岛",), "fuzhou": ("福州",), "xiamen": ("厦门",), "hefei": ("合肥",),
    "wuhu": ("芜湖",), "ningbo": ("宁波",), "dalian": ("大连",), "shenyang": ("沈阳",),
    "harbin": ("哈尔滨",), "changsha": ("长沙",), "kunming": ("昆明",), "nanning": ("南宁",),
    "tencent": ("腾讯",), "alibaba": ("阿里巴巴", "阿里"), "huawei": ("华为",), "jd": ("京东",),
    "lenovo": ("联想",), "chery": ("奇瑞",), "dingtalk": ("钉钉",), "kuaishou": ("快手",),
    "xiaomi": ("小米",), "baidu": ("百度",), "bytedance": ("字节跳动",), "wechat": ("微信",),
})  # fmt: skip
EN_UNITS: Mapping[str, str] = MappingProxyType({
    "firms": "家", "companies": "家", "enterprises": "家", "businesses": "家", "smes": "家", "banks": "家",
    "people": "人", "persons": "人", "employees": "人", "workers": "人", "days": "天", "years": "年",
    "months": "月", "seconds": "秒", "tons": "吨", "yuan": "元", "lines": "条", "times": "次",
    "acres": "亩",
})  # fmt: skip
