"""Varied Chinese text for the generated data set: case texts, titles, replies,
commitment titles and progress narratives. Deterministic for a given seed.

Until cases/demo_text.py is on main this is the bench's own generator; the
phrases are combined so that 1,000,000 texts are rarely identical and search
terms (two-character words) are spread realistically.
"""

from __future__ import annotations

import random

SUBJECTS = [
    ("路灯", ["不亮", "损坏多日", "夜间时亮时灭", "灯杆倾斜"]),
    ("下水道", ["堵塞", "污水外溢", "井盖破损", "异味严重"]),
    ("道路", ["坑洼不平", "破损积水", "施工后未恢复", "缺少减速带"]),
    ("自来水", ["水压不足", "经常停水", "水质浑浊", "管道漏水"]),
    ("垃圾", ["清运不及时", "乱堆乱放", "分类桶不够", "焚烧冒烟"]),
    ("噪声", ["夜间施工扰民", "广场舞音响太大", "商铺喇叭噪音", "工厂机器轰鸣"]),
    ("公交", ["班次太少", "站牌缺失", "线路绕远", "末班车太早"]),
    ("停车", ["车位紧张", "占用消防通道", "收费不透明", "僵尸车长期占位"]),
    ("电梯", ["频繁故障", "年检过期", "困人无人处理", "加装进度慢"]),
    ("供暖", ["温度不达标", "管道跑冒滴漏", "收费争议", "开栓不及时"]),
    ("医保", ["报销手续繁琐", "异地结算难", "门诊慢病认定慢", "缴费渠道少"]),
    ("养老", ["日间照料中心未开放", "助餐点太远", "高龄补贴未到账", "护理员不足"]),
    ("入学", ["学位紧张", "划片不清楚", "校车接送不便", "课后服务收费"]),
    ("就业", ["招聘信息少", "技能培训名额不够", "工资被拖欠", "灵活就业社保难办"]),
    ("农田水利", ["灌溉渠道淤塞", "机井损坏", "排涝不畅", "泵站无人管理"]),
    ("物业", ["服务不到位", "收费标准不公开", "维修基金使用不透明", "小区卫生差"]),
    ("网络信号", ["手机信号弱", "宽带接入难", "光纤未到村", "基站建设受阻"]),
    ("食品安全", ["小作坊卫生差", "校园周边摊贩多", "过期食品销售", "菜市场秩序乱"]),
    ("河道", ["漂浮垃圾多", "护坡垮塌", "违规采砂", "黑臭水体"]),
    ("办证", ["跑多次才办成", "材料要求不一致", "网上办理打不开", "窗口排队时间长"]),
]
PLACES = [
    "小区门口",
    "村委会旁",
    "主街十字路口",
    "菜市场附近",
    "学校东侧",
    "卫生院对面",
    "老旧小区内",
    "村西头",
    "安置房一期",
    "工业园区",
    "河堤路段",
    "幸福路",
    "人民路",
    "建设街",
    "南关巷",
    "北环路",
]
DURATIONS = [
    "已经持续半个多月",
    "反映过多次",
    "去年就出现过",
    "最近一周越来越严重",
    "雨天尤其明显",
    "已有两个多月",
    "一直没人来处理",
]
IMPACTS = [
    "老人孩子出行很不方便",
    "给周边居民生活带来很大影响",
    "存在安全隐患",
    "群众意见比较大",
    "影响附近商户正常经营",
    "晚上出门提心吊胆",
    "上班族每天都受影响",
]
ASKS = [
    "希望有关部门尽快派人查看处理",
    "请帮忙协调解决",
    "恳请领导重视",
    "希望给个明确答复和时限",
    "建议纳入今年的民生实事",
    "盼望早日解决",
]
REPLIES = [
    "经现场核实，已安排施工队维修完毕，并建立定期巡查机制。",
    "已协调责任单位于本周内完成整改，后续将加强日常管护。",
    "问题已纳入年度民生实事项目，预计下季度完成。",
    "已与相关企业沟通，恢复正常，并将结果电话告知来电人。",
    "经调查，该问题属于历史遗留，已制定分步解决方案并公示。",
    "已落实专人负责，办理结果经回访群众表示满意。",
]
PROJECT_VERBS = ["改造", "建设", "提升", "整治", "新建", "完善", "扩建", "升级"]
PROJECT_OBJECTS = [
    "老旧小区",
    "农村公路",
    "社区卫生服务站",
    "公办幼儿园",
    "城乡供水管网",
    "公共厕所",
    "农贸市场",
    "养老服务中心",
    "口袋公园",
    "路灯照明",
    "便民停车场",
    "雨污分流管网",
    "村级党群服务中心",
    "校园周边交通设施",
]
PROGRESS = [
    "已完成招投标，施工单位进场",
    "主体工程完成过半",
    "完成设计方案评审",
    "部分路段已通车",
    "设备采购到位，正在安装调试",
    "已完成验收准备",
]
PROBLEMS = ["", "", "受雨季影响工期有所滞后", "资金拨付进度偏慢", "个别住户协调难度大"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国海燕立新晓梅志强"


class TextGen:
    def __init__(self, seed: int = 2026) -> None:
        self.rng = random.Random(seed)

    def case(self, place_name: str = "") -> tuple[str, str]:
        """(title, text)"""
        r = self.rng
        subject, problems = SUBJECTS[r.randrange(len(SUBJECTS))]
        problem = problems[r.randrange(len(problems))]
        spot = PLACES[r.randrange(len(PLACES))]
        title = f"{place_name}{spot}{subject}{problem}"[:60]
        text = (
            f"{place_name}{spot}的{subject}{problem}，{DURATIONS[r.randrange(len(DURATIONS))]}，"
            f"{IMPACTS[r.randrange(len(IMPACTS))]}，{ASKS[r.randrange(len(ASKS))]}。"
        )
        if r.random() < 0.3:
            text += f"联系时请在{r.choice(['上午', '下午', '晚上七点后', '周末'])}。"
        return title, text

    def reply(self) -> str:
        return REPLIES[self.rng.randrange(len(REPLIES))]

    def person(self) -> str:
        r = self.rng
        return SURNAMES[r.randrange(len(SURNAMES))] + "".join(
            GIVEN[r.randrange(len(GIVEN))] for _ in range(r.choice((1, 2)))
        )

    def phone(self) -> str:
        return f"1{self.rng.choice('3578')}{self.rng.randrange(10**9):09d}"

    def project(self, place_name: str = "") -> str:
        r = self.rng
        return f"{place_name}{PROJECT_OBJECTS[r.randrange(len(PROJECT_OBJECTS))]}{PROJECT_VERBS[r.randrange(len(PROJECT_VERBS))]}工程"

    def progress(self) -> tuple[str, str]:
        r = self.rng
        return PROGRESS[r.randrange(len(PROGRESS))] + "。", PROBLEMS[r.randrange(len(PROBLEMS))]

    def search_terms(self) -> list[str]:
        """Two-character and longer words that occur in the generated texts."""
        return [s for s, _ in SUBJECTS] + ["漏水", "堵塞", "扰民", "安全隐患", "维修"]
