"""Reference data of the compliance app (see marketplace.reference_data): the violation table
(违规情形处理一览表, MS-7 annex), 19 rows with their sub-cases and measures, loaded by
migration 0004.

The text is the 2023-03-17 revision of the rules. It is loaded as effective from 2017-08-01
(MS-9.1, the rules' effective date) because no earlier revision is on file; a later revision
is added as a new version with its own effective date (MS-9.2), in the admin.

Takes the historical app registry from a migration and the real one otherwise; each row it
adds gets its "+" history row. A violation type whose 2017-08-01 version exists is left as it
is, measures included.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.apps import apps as global_apps
from django.utils import timezone

from marketplace.reference_data import add_history, get_or_add

REASON = "MS-7 annex loaded by data migration"

EFFECTIVE_FROM = dt.date(2017, 8, 1)
SOURCE = "云市场管理规范 附件（2023-03-17 版）"

CONTENT = [("shield_content", None, None), ("delist_product", None, None)]
EVICT_BAN = [("evict", None, None), ("ban", None, None), ("deduct_deposit", None, "5000.00")]
BAN = [("ban", None, None), ("deduct_deposit", None, "5000.00")]


def shield(days):
    return [("shield_store", days, None), ("restrict_publishing", days, None)]


# code, level, name_zh, name_en, detail (sub-cases), measures
# fmt: off
TABLE = [
    ("SPAM_AD", "general", "发布垃圾广告", "Spam advertising",
     "指服务商发布与入驻服务内容无关、对服务完成没有帮助的广告信息的行为。", CONTENT),
    ("SENSITIVE_INFO", "general", "发布敏感信息", "Sensitive information",
     "指服务商发布法律、法规、行政规章禁止发布的信息或者其他违背社会公序良俗等方面的信息。",
     CONTENT),
    ("OBSCENE_INFO", "general", "发布淫秽色情信息", "Obscene content",
     "指服务商发布淫秽色情、低俗等信息。", CONTENT),
    ("MISAPPROPRIATION", "general", "服务商盗用", "Using others' content without leave",
     "服务商未经允许，擅自使用他人软件、图片、音频、视频等内容的行为，包括但不限于头像、服务、"
     "产品、店铺装修、店铺案例。", CONTENT),
    ("OFFLINE_TRADE", "serious", "线下交易", "Off-platform trading",
     "用户引导服务商线下交易，服务商同意的，包括但不限于以下情形：\n"
     "① 服务商从云市场获取用户信息，无论以何种形式进行线下交易的。\n"
     "② 服务商引导用户线下交易，无论用户是否同意，无论是否打款，金额大小。", EVICT_BAN),
    ("TRAFFIC_DIVERSION", "serious", "引流交易", "Diverting buyers to other platforms",
     "1. 服务商引导用户通过其他平台进行交易的，无论是否成功交易。\n"
     "2. 服务商将用户引流到其他平台增加访问流量的，无论用户是否同意。", EVICT_BAN),
    ("IMPERSONATION", "serious", "冒用名义，欺骗混淆", "Impersonation, deceptive affiliation",
     "通过冒用名义、欺骗混淆的方式，使用户误以为服务商是腾讯集团子公司或分公司、关联公司、代理或"
     "其他实质性关系的单位，或使用户误以为服务商获得腾讯集团的推荐的行为。双方另有约定除外。",
     EVICT_BAN),
    ("FAKE_TRANSACTION", "serious", "虚假交易", "Fake transactions",
     "1. 服务商以买家身份或委托他人以买家身份购买自己服务的行为（不包含代替真实用户下单的行为）。\n"
     "2. 服务商引导用户购买产品，协商退款。或全额支付后，对用户进行汇款、转账或充值而进行变相返现"
     "退款的行为。", shield(15)),
    ("MALICIOUS_REPORT", "serious", "恶意举报", "Malicious reporting",
     "1. 服务商自己或利用他人，对竞争对手的正常信息（包括但不限于产品、评论、服务等），在短时间内"
     "进行多次举报，严重妨碍服务商正常交易活动的行为。无论是否对其他服务商造成直接或间接的影响。\n"
     "2. 指服务商利用其他账号，对正常交易进行干扰，妨碍他人进行合理操作的行为。", shield(15)),
    ("ABUSE_THREAT", "serious", "辱骂、污蔑、要挟、威胁他人", "Abuse, slander, threats",
     "1. 服务商自己或利用他人，通过捏造、散布虚伪事实等不正当手段，对其他用户进行诋毁、贬低，辱骂"
     "等行为。\n"
     "2. 在交易过程中，服务商通过沟通工具（包括但不限于IM、QQ、电话、邮件）对用户进行辱骂、诋毁、"
     "人身攻击、要挟、威胁等行为。", shield(15)),
    ("ACCOUNT_THEFT", "serious", "盗用他人账户", "Using another's account",
     "指盗用他人腾讯云账户，涉嫌侵犯他人财产权的行为。", EVICT_BAN),
    ("FRAUD", "serious", "骗取他人财物", "Obtaining property by fraud",
     "指服务商通过云市场以非法获利为目的（例如盗用他人品牌形象行骗等），非法获取他人财物，涉嫌侵犯"
     "他人财产权的行为。", EVICT_BAN),
    ("DISHONESTY", "serious", "不诚信的行为", "Dishonest conduct",
     "1. 收了用户支付成功后2个工作日内未工作的（非用户原因）。\n"
     "2. 服务商通过故意曲解云市场规则和交易流程等方式诱骗用户购买或付款的行为。\n"
     "3. 服务商在出售产品后不兑现自己在出售产品中承诺的行为。\n"
     "4. 已书面、口头或其他形式作出承诺后，明示毁约的。", shield(30)),
    ("UNREACHABLE", "serious", "服务商失去联系或无法沟通",
     "Vendor unreachable or will not communicate",
     "1. 云市场在接到用户反映联系不上服务商后，通过电话、短信、邮件、站内信等方式联系服务商，在48"
     "小时内仍无法和服务商取得联系的情况。\n"
     "2. 用户有证据能证明服务商在未进行事先告知的情况下，连续72小时都联系不上服务商的情况。\n"
     "3. 云市场连续三次联系（无论任何途径）均无法在纠纷上进行实质沟通。\n"
     "4. 恶意辱骂工作人员导致无法沟通。", shield(15)),
    ("DATA_MISUSE", "serious", "未经授权获取、使用信息", "Unauthorised collection or use of data",
     "服务商将在平台上收集的信息用于服务之外的任何目的，将信息出售、转让或向任何第三方披露。前述信息"
     "包括但不限于用户会员名、手机号码、地址、云产品账号密码、网站数据等。", BAN),
    ("MALICIOUS_PRODUCT", "serious", "出售恶意产品或服务",
     "Malicious products: backdoors, privilege escalation, trojans, harvesting personal data",
     "1. 服务商在服务或开发过程中出现账号提权、安装后门程序等主动危害系统安全的行为。\n"
     "2. 上架的产品含有木马、黑客程序等有损网络安全的。\n"
     "3. 上架的产品可能套取他人身份证、邮箱、手机号、银行账号、财付通账号等个人或者企业隐私"
     "信息的。",
     BAN),
    ("INSECURE_PRODUCT", "serious", "出售恶意产品或服务（其他情形）",
     "Malicious products (other cases): changing buyers' security settings, unlisted sales "
     "entry, separate user system, infringing third-party rights",
     "1. 服务商在服务过程中擅自修改用户云产品安全配置引起用户投诉的。\n"
     "2. 上架的产品内置未在云市场上架的产品/服务的售卖交易入口，对产品的续费必须通过云市场"
     "进行交易。\n"
     "3. 上架的产品内置独立的用户管理系统并要求用户重新注册或录入用户信息。\n"
     "4. 上架的产品侵犯第三方知识产权或其他合法权利的。（ASSUMPTION：原表此行处罚单元格空缺，"
     "按本组其他情形处理）", shield(15)),
    ("FALSE_QUALIFICATION", "serious", "违法入驻规则（虚假资质）",
     "False qualifications at onboarding",
     "使用虚假资质或虚假信息进行入驻云市场的行为。", BAN),
    ("OTHER_CLOUD_DEPLOYMENT", "serious", "违法入驻规则（其他品牌云资源）",
     "Product deployed on another brand's cloud",
     "销售部署在其他品牌的云资源上的产品。（MS-3.1.6）", CONTENT),
]
# fmt: on


def load_reference_data(apps: Any = None, *, using: str = "default") -> None:
    apps = apps if apps is not None else global_apps
    ViolationType = apps.get_model("compliance", "ViolationType")
    ViolationVersion = apps.get_model("compliance", "ViolationVersion")
    ViolationMeasure = apps.get_model("compliance", "ViolationMeasure")
    HistoricalViolationType = apps.get_model("compliance", "HistoricalViolationType")
    HistoricalViolationVersion = apps.get_model("compliance", "HistoricalViolationVersion")
    HistoricalViolationMeasure = apps.get_model("compliance", "HistoricalViolationMeasure")
    now = timezone.now()

    def history(model: Any, obj: Any, fields: list[str]) -> None:
        add_history(model, obj, fields, when=now, reason=REASON, using=using)

    for code, level, name_zh, name_en, detail, measures in TABLE:
        vtype, created = get_or_add(ViolationType, {"code": code}, {}, using=using)
        if created:
            history(HistoricalViolationType, vtype, ["id", "code", "retired"])
        version, created = get_or_add(
            ViolationVersion,
            {"violation": vtype, "effective_from": EFFECTIVE_FROM},
            {
                "level": level,
                "name_zh": name_zh,
                "name_en": name_en,
                "detail": detail,
                "source": SOURCE,
            },
            using=using,
        )
        if not created:
            continue
        history(
            HistoricalViolationVersion,
            version,
            [
                "id",
                "violation_id",
                "effective_from",
                "level",
                "name_zh",
                "name_en",
                "detail",
                "source",
            ],
        )
        for kind, days, amount in measures:
            measure, created = get_or_add(
                ViolationMeasure,
                {"version": version, "kind": kind},
                {"duration_days": days, "amount": Decimal(amount) if amount else None},
                using=using,
            )
            if created:  # always: the version is new
                history(
                    HistoricalViolationMeasure,
                    measure,
                    ["id", "version_id", "kind", "duration_days", "amount"],
                )
