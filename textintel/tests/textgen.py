"""A generator of varied resident messages per category, for tests and the
benchmark (evaluation only: nothing here is used to make suggestions).

Each category has its own problems written as templates; `{a|b|c}` picks one
form. A message wraps a problem in shared openers, places, durations, impacts,
requests and closings, in a random order and length, sometimes with a second,
unrelated remark, a typo-like character swap, or written in Traditional
characters. The labels are noisy the way ledgers are: a few messages sit on the
border of two categories.

`split` chooses the random stream; the held-out split ("test") also draws from
one template per category that the "train" split never uses, so its figures
include phrasing the model has not seen.
"""

from __future__ import annotations

import random
import re

PROBLEMS: dict[str, list[str]] = {
    "产业发展": [
        "我们村种的{猕猴桃|葡萄|茶叶|香菇}今年{滞销|卖不出去|价格压得很低}，希望帮忙联系{销路|收购商|电商平台}",
        "想发展{特色种植|林下养殖|中药材种植}但缺少{技术指导|种苗|启动资金}，农技人员能不能来村里看看",
        "村里的{农产品|土特产}没有{品牌|包装|商标}，想申请{地理标志|品牌认证}不知道找谁",
        "产业园的{道路|供电|冷库|厂房}配套一直没跟上，入驻企业{意见很大|很难生产}",
        "{电商服务站|快递点}还没进村，网上卖{农货|山货}要跑到镇上发货",
        "签约的{招商项目|投资项目}落地很慢，{土地|水电}手续卡住了",
        "合作社的{大棚|烘干设备|分拣线}需要升级，能不能申请{产业补贴|项目资金}",
    ],
    "营商环境": [
        "{开办公司|注册个体户|变更营业执照}跑了{好几趟|三四次}还没办下来，材料要求说法不一",
        "{惠企政策|稳岗补贴|减税降费}申请了{半年|好几个月}还没兑现",
        "有部门{乱收费|变相收费|要求交检测费}，企业负担很重",
        "小微企业{贷款难|融资难|贷不到款}，银行要{抵押|担保}，希望搭建{融资对接|银企对接}平台",
        "项目审批{环节太多|时间太长|来回补材料}，希望有{代办|帮办}服务",
        "{执法检查|检查}太频繁，一个月来了{好几拨|五六次}，影响正常经营",
        "政府工程款{拖欠|迟迟不付}，我们{民营企业|施工企业}资金周转困难",
    ],
    "生态环境": [
        "{附近工厂|化工厂|搅拌站}{排放黑烟|气味刺鼻|粉尘很大}，{开窗|晒衣服}都不行",
        "{河道|小河|水渠}{发黑发臭|漂满垃圾|有死鱼}，怀疑有{企业偷排|污水直排}",
        "{工地|厂房|KTV}{夜间施工|机器轰鸣|噪声扰民}，{晚上睡不着|孩子没法学习}",
        "{垃圾分类|分类垃圾桶}只是摆样子，{分好的垃圾又混在一起运走|没有人指导}",
        "有人在田里{焚烧秸秆|烧垃圾}，{烟雾很大|呛得人咳嗽}",
        "{养殖场|养猪场}{粪污乱排|臭味熏人}，{苍蝇蚊子|污水}到处都是",
        "{采石场|砂石厂}{破坏山体|扬尘严重}，{植被|耕地}被毁",
    ],
    "科技创新": [
        "想申请{科技特派员|农业专家}来{指导种植|解决技术难题}",
        "企业想建{研发中心|创新平台|实验室}，希望了解{扶持政策|申报条件}",
        "{专利申报|知识产权保护|发明专利}不懂流程，希望有人{辅导|帮忙}",
        "{高层次人才|大学生}引进的{住房补贴|安家费}一直没落实",
        "{小厂|企业}想搞{数字化改造|智能化改造|上云}，缺{资金|技术}",
        "{高新技术企业|科技型中小企业}认定的{材料|评审}太复杂",
    ],
    "城乡融合": [
        "村里{改厕|厕所改造}完成了但{化粪池满了没人抽|冲水不好用}",
        "村道{没有路灯|路灯太少}，晚上{黑乎乎|出门不安全}，希望搞{亮化|村庄亮化}",
        "{污水管网|排污管}没有{延伸到村里|接进组里}，生活污水{乱流|直排}",
        "{城乡公交|村村通公交}班次太少，{进城|去县城}很不方便",
        "{美丽乡村|人居环境}建设{只刷墙|搞形式}，村里{垃圾|柴草}还是乱堆",
        "{农房|民房}外立面改造{标准不统一|质量差}，{墙皮脱落|漏雨}",
    ],
    "防止返贫监测": [
        "家里{老人生病|孩子上学|遭了灾}开支大，{担心返贫|快过不下去了}，能否纳入监测",
        "{脱贫户|监测户}的{帮扶措施|帮扶责任人}没有落实，{一年没人来过|电话打不通}",
        "{防贫保险|防返贫保险}理赔{太慢|被拒}，材料都交齐了",
        "我家{收入骤减|因病致贫|突发严重困难}，{监测|排查}的时候没有把我们算进去",
        "帮扶台账{信息不对|登记错了}，{人口|收入}数字跟实际不符",
    ],
    "就业帮扶": [
        "{公益岗位|保洁岗位|护林员岗位}{名额分配不公|只给关系户}",
        "想参加{职业技能培训|电工培训|家政培训}，{报名|补贴}不知道去哪里",
        "外出务工{找不到工作|信息太少}，希望多推送{招聘信息|用工信息}",
        "{返乡创业|回乡开店}想申请{创业贷款|创业补贴}，手续太复杂",
        "家里{两个劳动力都没工作|零就业}，希望{安排就业|帮助找工作}",
        "{劳务输出|劳务派遣}的{工资|路费补贴}还没发",
    ],
    "产业帮扶": [
        "{帮扶车间|扶贫车间}{停工|订单少|开不下去}，{工人|村民}没活干",
        "{特色种养补助|养殖补贴|种植奖补}{没发到位|被截留}",
        "{小额信贷|扶贫贷款}{到期还不上|不给续贷}",
        "{消费帮扶|以购代捐}的{农产品|蔬菜}收购价太低",
        "{村集体经济|合作社}{分红|收益}不公开，村民不知道钱去哪了",
    ],
    "饮水安全": [
        "{自来水|家里的水}{停水|停了两三天|断断续续}，{吃水|做饭}都成问题",
        "{自来水|井水}{发黄|浑浊|有异味|有沉淀}，{不敢喝|烧开还有水垢}",
        "{供水管|水管}{爆裂|漏水|冻裂}，{水流了一地|路面都泡了}",
        "{水压太低|水压不够}，{三楼|高处}用不上水",
        "{水费|水价}{收得太高|突然涨价|多收了}",
        "{水源地|水库边}有人{放牧|洗衣服|倒垃圾}，担心水源被污染",
    ],
    "住房安全": [
        "{老房子|土坯房|危房}{墙体开裂|屋顶漏雨|房梁歪了}，{下雨天不敢住|随时可能倒塌}",
        "{危房改造|农房改造}的{补助|钱}一直没到位",
        "想申请{房屋安全鉴定|危房鉴定}，不知道{找谁|流程}",
        "{困难群众|低保户}住房{太破|透风漏雨}，希望{住房救助|帮忙修缮}",
        "{抗震改造|加固改造}{质量差|偷工减料}，刚修完就{裂缝|漏水}",
    ],
    "教育": [
        "{孩子上学|入学|上幼儿园}{学位紧张|排不上号|被划到很远的学校}",
        "{学校|教学楼}{漏雨|年久失修|操场坑洼}，{孩子|学生}安全没保障",
        "{校车|接送车}{超载|车况差|司机开快车}，家长很担心",
        "{课后服务|托管}{收费|时间安排}不合理，{家长|双职工}接不了孩子",
        "{营养餐|学校食堂}{分量少|饭菜质量差|不卫生}",
        "{残疾孩子|特殊儿童}{入学难|没有送教上门}",
        "{老师|班主任}{体罚学生|有偿补课|乱收资料费}",
    ],
    "医疗卫生": [
        "{村卫生室|社区卫生服务站}{经常没人|缺药|关门}，看个小病也要去县里",
        "签了{家庭医生|签约医生}但{从来没上门|打电话不接}",
        "{慢性病|高血压|糖尿病}{随访|复查}没人管，{药|免费药}领不到",
        "{疫苗|预防接种}{预约不上|要排很久}",
        "{乡镇卫生院|医院}{医生太少|设备陈旧|排队太久}",
        "{老年人体检|健康体检}{走过场|结果不告诉}",
        "{医生|护士}{态度差|乱开检查|推诿病人}",
    ],
    "养老服务": [
        "{老人|爷爷奶奶}{独居|没人照顾}，希望有{居家养老|上门服务}",
        "{日间照料中心|老年活动中心}{建好了一直没开门|没有人管}",
        "{高龄津贴|高龄补贴|八十岁补贴}{停发了|少发了|没收到}",
        "{养老院|敬老院}{条件差|收费太贵|护理人员太少}",
        "{老年食堂|助餐点}{饭菜不好|离家太远|只开几天}",
        "家里老人{行动不便|坐轮椅}，想做{适老化改造|扶手改造}",
    ],
    "社会保障": [
        "{养老保险|城乡居民养老保险}{断缴了想补缴|交了没记录|领取金额不对}",
        "申请{低保|最低生活保障}{被拒了|条件明明符合却没批|审了半年}",
        "{临时救助|困难救助}{申请没回音|金额太少}",
        "{残疾人补贴|两项补贴}{停了|没发|被取消}",
        "{社保卡|社会保障卡}{补办|激活|换卡}要跑好几个地方",
        "{工伤认定|工伤赔偿}单位{不配合|拖着不办}",
    ],
    "医疗保障": [
        "{医保报销|住院报销}{比例太低|很多药不能报|报销太慢}",
        "{异地就医|外地看病}{备案|直接结算}{办不了|太麻烦}",
        "{慢特病|门诊慢特病}{认定|申请}{没通过|等了很久}",
        "{医保缴费|城乡居民医保}{涨得太快|交不起|缴费渠道不方便}",
        "{药店|医院}药品价格{比别处贵很多|虚高}，{医保卡被盗刷|乱刷医保卡}",
    ],
    "住房保障": [
        "{老旧小区|老小区}改造{迟迟不开工|施工扰民|质量太差}",
        "{保障房|公租房|廉租房}{分配不公平|排了几年|申请不上}",
        "{物业|物业公司}{不作为|乱收费|服务差|卫生没人管}",
        "{老楼|单元楼}想{加装电梯|装电梯}，{低层住户不同意|手续不会办}",
        "{公租房|廉租房}{漏水|墙面发霉|门窗坏了}报修没人管",
        "买的房子{办不了房产证|产权证一直没下来}",
        "小区{电梯|楼梯灯|单元门}坏了{物业不修|好几个月}",
    ],
    "交通出行": [
        "{路面|马路|乡道}{坑坑洼洼|破损严重|塌陷}，{车辆|电动车}经常出事",
        "{公交线路|公交车}{停开了|太绕|等半小时一班}",
        "{停车位|车位}太少，{车只能停在路边|乱停乱放}",
        "{红绿灯|信号灯}{坏了|时间太短|路口没有}，{过马路|学生过马路}很危险",
        "{农村公路|通组路}{年久失修|被大车压坏}，{雨天|下雨}没法走",
        "{客运站|汽车站}{设施老旧|没有候车厅}",
        "{桥|过河桥}{护栏断了|桥面开裂}，存在安全隐患",
    ],
    "一网通办": [
        "{网上办事|政务服务网|手机APP}{登录不上|老是报错|流程看不懂}",
        "{证照|营业执照|许可证}办理{太慢|要跑很多次}，说好的{一网通办|最多跑一次}做不到",
        "{一窗受理|综合窗口}{还是要分开排队|材料要交好几遍}",
        "{跨省通办|异地办理}{办不了|让回户籍地}",
        "希望{帮办代办|代办员}帮{老年人|不会用手机的人}在网上办事",
    ],
    "便民服务": [
        "{便民服务中心|服务大厅}{中午不开门|周末不办公|窗口人太少}",
        "{自助终端|自助机}{经常坏|不会用|没人指导}",
        "{上班族|打工的}只能{晚上|周末}办事，希望{延时服务|错时服务}",
        "{行动不便|卧床}的老人办证，希望能{上门办证|上门服务}",
        "办事要开各种{证明|奇葩证明}，{村里|居委会}说开不了",
        "打{12345|热线|服务电话}{没人接|答复敷衍|转来转去}",
    ],
    "不动产登记": [
        "{房子|商品房}交房{好几年|很久}了{还没办证|不动产证办不下来}",
        "{历史遗留|老小区}的房子{办不了证|缺手续}",
        "{抵押登记|抵押解除}{时间太长|要跑好多地方}",
        "想{查询|打印}{不动产登记信息|房产信息}，{网上查不到|要排长队}",
        "{宅基地|农村房屋}{确权|登记}{没完成|信息错误}",
    ],
    "公安政务服务": [
        "{户口|户籍}{迁移|落户|分户}{手续复杂|被推来推去}",
        "{身份证|身份证件}{补办|换证}{要等很久|异地办不了}",
        "{办护照|出入境证件|港澳通行证}{预约不上|排队太久}",
        "{驾驶证|行驶证|车辆年检}{换证|审验}太麻烦",
        "开{无犯罪记录证明|户籍证明}{跑了几次|说不能开}",
        "{居住证|暂住证}办理{条件不清楚|一直没下来}",
    ],
    "矛盾纠纷化解": [
        "{邻居|隔壁}{占了我家宅基地|在公共通道堆东西|漏水到我家}，{协商不成|吵了很多次}",
        "{土地|承包地|山林}{界线|权属}有纠纷，{村里调解不了|双方僵持}",
        "{包工头|老板}{拖欠工资|欠薪}{半年|一年多}，{农民工|工人}讨不到钱",
        "{婚姻|家庭|赡养老人}的事闹得很厉害，希望{调解|帮忙化解}",
        "{信访|上访}的事{多年没解决|反复反映没结果}",
        "想请{律师|法律援助}{打官司|咨询}但请不起",
    ],
    "社会治安": [
        "{晚上|深夜}{有人聚集|经常有人打架|有人飙车}，{很吵|不安全}",
        "接到{诈骗电话|冒充客服的电话|刷单诈骗}，{老人被骗了钱|差点被骗}",
        "{学校门口|校园周边}{有小摊贩|有人闲逛|交通混乱}，孩子不安全",
        "{小区|村口}的{监控|摄像头}{坏了|没装|看不清}，{电动车被偷|东西被盗}",
        "{路口|街上}{车辆乱停|大货车超速|违章掉头}，交通秩序很乱",
        "{巡逻|民警}{很少见到|不来}，{晚上|夜里}治安不好",
    ],
    "网格化管理": [
        "{网格员|网格长}{不知道是谁|从来不来|电话打不通}",
        "{出租房|群租房}{人员复杂|住了很多人|没人登记}",
        "{外来人口|流动人口}{不登记|管理混乱}",
        "上报给{网格|社区}的{事情|问题}{没人处理|石沉大海}",
        "楼道里{堆放杂物|停电动车|有飞线充电}，网格巡查没发现",
        "{网格|社区}{排查|走访}{走形式|填表多}，群众意见大",
    ],
    "市容环境": [
        "{路边|街道|菜市场门口}{占道经营|摆摊|流动摊贩}，{道路堵塞|卫生很差}",
        "有人{违章搭建|私搭乱建|加盖违建}，{占了公共绿地|挡了通道}",
        "{小区|楼道|路边}{垃圾堆积|乱堆乱放|建筑垃圾没人清}，{臭气熏天|蚊蝇滋生}",
        "{路灯|街灯|小区路灯}{不亮|坏了|一闪一闪}，{晚上|夜里}{走路|出行}不安全",
        "{烧烤店|饭店|餐馆}{油烟|油烟扰民|排烟口对着窗户}，{呛得不行|没法开窗}",
        "{广告牌|横幅|小广告}{乱贴乱挂|摇摇欲坠}，影响市容",
        "{井盖|窨井盖}{丢了|破了|松动}，存在安全隐患",
    ],
    "安全生产": [
        "{楼道|通道|消防通道}{被堵|堆满杂物}，{消防栓|灭火器}{过期|损坏}",
        "{燃气|煤气}{管道|软管}{漏气|老化|有异味}，{很危险|担心爆炸}",
        "{加油站|危化品仓库|化工厂}离{居民区|学校}太近，担心出事",
        "{自建房|出租楼}{加层|改建}，{没有安全鉴定|墙体开裂}",
        "{河堤|堤坝|山体}{有裂缝|可能滑坡}，{汛期|下大雨}很危险",
        "{电动车|电瓶车}在{楼道里充电|家里充电}，{私拉电线|飞线充电}",
        "{工厂|作坊}{没有安全措施|工人不戴安全帽}，{违规生产|违规操作}",
    ],
    "岗位建功": [
        "{窗口|办事窗口}工作人员{态度冷漠|玩手机|脸难看}，{服务质量差|不耐烦}",
        "{机关干部|工作人员}{上班迟到早退|推诿扯皮|门难进脸难看}",
        "{党员先锋岗|示范岗}{挂牌后没变化|形同虚设}",
        "{干部|机关}{联系基层|下基层}{走过场|只拍照}",
        "{服务承诺|公开承诺}{没有兑现|说一套做一套}",
    ],
    "志愿服务": [
        "想报名{当志愿者|参加志愿服务}，不知道{在哪报名|怎么注册}",
        "希望有{志愿者|志愿服务队}来{陪伴|辅导}{留守儿童|孩子}",
        "{独居老人|空巢老人}需要{志愿者|助老服务}{上门|陪护}",
        "希望组织{义诊|义剪|理发}{进村|进社区}",
        "{志愿服务|志愿活动}{只是拍照|走形式|时长不记录}",
        "希望{组织志愿者|志愿者}来{清理河边垃圾|打扫小区环境}",
    ],
    "文化惠民": [
        "{农家书屋|图书室}{常年锁门|书太旧|没有新书}",
        "希望多{送戏下乡|放电影|搞文艺演出}，{村里|老人}文化生活太单调",
        "{文化广场|健身广场}{健身器材坏了|没有灯|没建好}",
        "{篮球场|健身设施}{被占用|年久失修|太少}",
        "{非遗|传统手艺|老手艺}{没人传承|缺少扶持}",
        "{广场舞|音响}声音太大，{文化活动|场地}安排不合理",
    ],
    "微心愿": [
        "{孩子|留守儿童}的微心愿是{一个书包|一套课外书|一双运动鞋}，希望有爱心人士认领",
        "{孤寡老人|独居老人}想要{一台收音机|一件棉衣|一个电暖器}",
        "{残疾人|肢残人士}希望得到{一辆轮椅|一副拐杖|助听器}",
        "{困难党员|老党员}的心愿是{去看看新农村|一台电视|订一份报纸}",
        "{困难家庭|低保户}孩子想要{一台学习机|一张书桌|一盏台灯}",
    ],
}

UNIT: dict[str, str] = {
    "产业发展": "农业农村局",
    "营商环境": "行政审批服务局",
    "生态环境": "生态环境分局",
    "科技创新": "科技和工业信息化局",
    "城乡融合": "住房和城乡建设局",
    "防止返贫监测": "农业农村局",
    "就业帮扶": "人力资源和社会保障局",
    "产业帮扶": "农业农村局",
    "饮水安全": "水利局",
    "住房安全": "住房和城乡建设局",
    "教育": "教育局",
    "医疗卫生": "卫生健康局",
    "养老服务": "民政局",
    "社会保障": "人力资源和社会保障局",
    "医疗保障": "医疗保障局",
    "住房保障": "住房和城乡建设局",
    "交通出行": "交通运输局",
    "一网通办": "行政审批服务局",
    "便民服务": "行政审批服务局",
    "不动产登记": "自然资源和规划局",
    "公安政务服务": "公安局",
    "矛盾纠纷化解": "司法局",
    "社会治安": "公安局",
    "网格化管理": "县委政法委",
    "市容环境": "城市管理局",
    "安全生产": "应急管理局",
    "岗位建功": "县直机关工委",
    "志愿服务": "县文明办",
    "文化惠民": "文化和旅游局",
    "微心愿": "民政局",
}
# Categories whose cases towns often handle themselves (the unit depends on place).
TOWN_HANDLED = {"市容环境", "矛盾纠纷化解", "网格化管理", "社会治安", "城乡融合", "便民服务"}
TOWNS = [f"T{i:02d}" for i in range(1, 13)]
TOWN_NAMES = [
    "城关",
    "南湖",
    "东山",
    "西河",
    "北坪",
    "青石",
    "白沙",
    "桃源",
    "柳林",
    "石桥",
    "新安",
    "龙泉",
]

OPENERS = [
    "您好，",
    "你好，",
    "领导好！",
    "我是{town}{village}的村民，",
    "我是{village}居民，",
    "反映一个问题：",
    "",
    "",
    "",
    "麻烦问一下，",
    "向政府反映：",
    "我要投诉，",
    "尊敬的领导：",
    "本人住在{town}{village}，",
]
PLACES = [
    "我们{village}",
    "{town}{village}{group}",
    "{village}{building}",
    "{town}{street}",
    "{street}和{street2}交叉口",
    "{village}村委会旁边",
    "",
    "",
]
DURATIONS = [
    "已经{n}天了",
    "持续{n}个月了",
    "从去年{season}开始就这样",
    "好长时间了",
    "反映过{n}次",
    "",
    "",
]
IMPACTS = [
    "严重影响群众生活",
    "大家意见很大",
    "老人孩子尤其不方便",
    "周边{n}0多户人家都受影响",
    "群众怨声载道",
    "",
    "",
]
REQUESTS = [
    "希望有关部门尽快处理",
    "请相关部门{尽快|抓紧}解决",
    "盼早日解决",
    "希望领导重视",
    "请给个答复",
    "麻烦派人来看看",
    "希望能协调解决",
    "",
]
SPOTS = [
    "{street}{no}号",
    "{street}{no}号门前",
    "{village}{group}{surname}家门口",
    "{village}{building}号楼{unit}单元",
    "{street}{shop}旁边",
    "{street}{no}号{shop}",
    "{village}{landmark}",
    "{landmark}往东{no}米",
    "{street}和{village}路口",
]
SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程"
)
SHOPS = [
    "老王烧烤",
    "惠民超市",
    "顺发五金",
    "鑫源饭店",
    "好再来面馆",
    "小张修车铺",
    "幸福药房",
    "金色童年幼儿园",
    "兴旺农资店",
    "红太阳KTV",
]
LANDMARKS = [
    "村委会旁边",
    "小学后门",
    "老供销社",
    "文化广场",
    "卫生室对面",
    "桥头",
    "菜市场东门",
    "老水塔下",
    "加油站旁",
    "公交站台",
]
FACTS = [
    "{month}月{day}日我已经打过电话",
    "我家{relative}今年{age}岁",
    "涉及{hh}户人家",
    "{month}月{day}日开始出现这个情况",
    "前后已经{n}天",
    "{month}月{day}日社区说会来看但没来",
    "我家{relative}{age}岁行动不便",
    "附近住了{hh}户",
]
CLOSINGS = ["谢谢！", "谢谢", "", "", "万分感谢。", "急！", "望回复。"]
FOLLOWUP = [
    "再次反映：",
    "第二次反映，",
    "之前反映过的问题还没解决，",
    "追问一下，",
    "还是那个问题，",
]
VILLAGES = [
    "幸福村",
    "和平社区",
    "红星村",
    "枫林社区",
    "新河村",
    "光明社区",
    "向阳村",
    "杏花村",
    "金桥社区",
    "清水村",
    "东风村",
    "翠苑社区",
    "花园社区",
    "柏树村",
    "石门村",
    "丰收村",
]
STREETS = [
    "人民路",
    "解放街",
    "建设路",
    "中山路",
    "滨河路",
    "文化路",
    "长江路",
    "新华街",
    "北环路",
    "幸福大道",
]
BUILDINGS = ["3号楼", "12栋", "5幢2单元", "7号楼", "老家属院", "安置小区", "水厂宿舍"]
GROUPS = ["一组", "三组", "五组", "七组", ""]
SEASONS = ["春天", "夏天", "秋天", "冬天", "年底"]

_CHOICE = re.compile(r"\{([^{}]*\|[^{}]*)\}")


def _expand(template: str, rng: random.Random) -> str:
    return _CHOICE.sub(lambda m: rng.choice(m.group(1).split("|")), template)


class MessageGenerator:
    def __init__(self, seed: int = 0, split: str = "train"):
        self.split = split
        self.rng = random.Random(f"{seed}:{split}")
        self.categories = list(PROBLEMS)

    def _templates(self, category: str) -> list[str]:
        items = PROBLEMS[category]
        if self.split == "train":
            # the train split never sees every second template's wording
            return items[::2] + [items[i] for i in range(1, len(items), 2) if i % 4 == 1]
        return items

    def _fill(self, text: str, place: dict) -> str:
        rng = self.rng
        values = {
            "town": place["town_name"] + rng.choice(["镇", "街道", "镇", "乡"]),
            "village": place["village"],
            "group": rng.choice(GROUPS),
            "building": rng.choice(BUILDINGS),
            "street": rng.choice(STREETS),
            "street2": rng.choice(STREETS),
            "n": str(rng.randint(2, 9)),
            "season": rng.choice(SEASONS),
        }
        text = _expand(text, rng)
        return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), text)

    def place(self) -> dict:
        t = self.rng.randrange(len(TOWNS))
        return {
            "town": TOWNS[t],
            "town_name": TOWN_NAMES[t],
            "village": self.rng.choice(VILLAGES),
            "code": f"{TOWNS[t]}V{self.rng.randint(1, 12):02d}",
        }

    def where(self) -> str:
        """A specific spot: what makes one resident's message identifiable."""
        rng = self.rng
        return rng.choice(SPOTS).format(
            street=rng.choice(STREETS),
            no=rng.randint(1, 399),
            village="{village}",
            group=rng.choice(GROUPS[:-1]),
            surname=rng.choice(SURNAMES),
            building=rng.randint(1, 40),
            unit=rng.randint(1, 6),
            shop=rng.choice(SHOPS),
            landmark=rng.choice(LANDMARKS),
        )

    def fact(self) -> str:
        rng = self.rng
        return rng.choice(FACTS).format(
            month=rng.randint(1, 12),
            day=rng.randint(1, 28),
            n=rng.randint(2, 60),
            age=rng.randint(60, 95),
            relative=rng.choice(["老人", "父亲", "母亲", "孩子", "爷爷", "奶奶"]),
            hh=rng.randint(3, 80),
        )

    def message(
        self,
        category: str | None = None,
        place: dict | None = None,
        where: str | None = None,
        template: int | None = None,
    ) -> dict:
        """{"text", "category", "unit", "place", ...}: one resident message."""
        rng = self.rng
        category = category or rng.choice(self.categories)
        place = place or self.place()
        if template is None:
            template = PROBLEMS[category].index(rng.choice(self._templates(category)))
        problem = _expand(PROBLEMS[category][template], rng)
        where = self._fill(where or self.where(), place)
        fact = self.fact() if rng.random() < 0.6 else ""
        parts = [
            where + ("的" if rng.random() < 0.3 else ""),
            problem,
            fact,
            rng.choice(DURATIONS),
            rng.choice(IMPACTS),
        ]
        if rng.random() < 0.35:
            parts[0], parts[1] = parts[1], parts[0]
        if rng.random() < 0.12:
            # a second, unrelated remark, as residents write
            other = rng.choice(self.categories)
            parts.append("另外" + rng.choice(self._templates(other)))
        if rng.random() < 0.4:
            parts.append(rng.choice(REQUESTS))
        body = "，".join(p for p in parts if p) + "。"
        text = rng.choice(OPENERS) + body + rng.choice(CLOSINGS)
        text = self._fill(text, place)
        label = category
        if rng.random() < 0.04:
            label = rng.choice(self.categories)  # a ledger's mis-filed case
        unit = UNIT[label]
        if label in TOWN_HANDLED and int(place["town"][1:]) % 3 == 0:
            unit = place["town_name"] + "镇人民政府"
        return {
            "text": text,
            "category": label,
            "unit": unit,
            "place": place,
            "where": where,
            "problem": self._fill(problem, place),
            "fact": self._fill(fact, place),
            "true_category": category,
            "template": template,
            "seen": template % 2 == 0 or template % 4 == 1,
        }

    def messages(self, n: int) -> list[dict]:
        return [self.message() for _ in range(n)]


# --- variants of a stored message, for duplicate recall -----------------------

_SWAPS = [("的", "地"), ("在", "再"), ("已经", "己经"), ("反映", "反应"), ("那", "哪")]


def repost(text: str, rng: random.Random) -> str:
    """Same text, light edits (punctuation, a greeting, spacing)."""
    t = text.replace("，", rng.choice(["，", ",", " ", "；"]))
    if rng.random() < 0.5:
        t = rng.choice(["转发：", "", "同样问题：", "【求助】"]) + t
    return t


def edited_copy(text: str, rng: random.Random) -> str:
    """A copy with clauses dropped, reordered or changed."""
    clauses = [c for c in re.split(r"[，。！；]", text) if c]
    if len(clauses) > 2:
        drop = rng.randrange(len(clauses))
        clauses = clauses[:drop] + clauses[drop + 1 :]
    if len(clauses) > 2 and rng.random() < 0.5:
        i = rng.randrange(len(clauses) - 1)
        clauses[i], clauses[i + 1] = clauses[i + 1], clauses[i]
    t = "，".join(clauses)
    for a, b in _SWAPS:
        if a in t and rng.random() < 0.3:
            t = t.replace(a, b, 1)
    return t + rng.choice(["。", "！", "，请尽快处理。", "，谢谢。"])


def followup(message: dict, rng: random.Random) -> str:
    """再次反映: the spot and the problem again (often reworded: the problem's
    alternatives are picked anew), the rest new."""
    problem = message["problem"]
    if rng.random() < 0.5:
        problem = re.sub(r"[，。]", "", rng.choice(re.split(r"[，]", problem)))
    parts = [message["where"], problem]
    if rng.random() < 0.5:
        parts.reverse()
    if message["fact"] and rng.random() < 0.3:
        parts.append(message["fact"])
    return (
        rng.choice(FOLLOWUP)
        + "，".join(parts)
        + rng.choice(
            ["，到现在还没人管", "，一直没有解决", "，上次说会处理但没下文", "，请尽快落实"]
        )
        + rng.choice(["。", "！", "，请给个说法。"])
    )


def same_complaint(message: dict, gen: MessageGenerator) -> str:
    """Another resident about the same problem at the same spot, in their own
    words (same problem template, its alternatives picked anew, new opener,
    facts, durations)."""
    return gen.message(
        message["true_category"],
        message["place"],
        where=message["where"],
        template=message["template"],
    )["text"]


def traditional(text: str) -> str:
    from opencc import OpenCC

    global _S2T
    try:
        conv = _S2T
    except NameError:
        conv = _S2T = OpenCC("s2t")
    return conv.convert(text)
