#!/usr/bin/env python3
"""Writes samples/org.json: the seed of the embedded emulator (deterministic)."""
import json, random

random.seed(20261124)
tree = {
    "研发部": ["后端组", "前端组", "测试组", "运维组"],
    "产品部": ["产品设计", "用户研究"],
    "市场部": ["品牌组", "渠道组", "华东区", "华南区"],
    "销售部": ["北京分部", "上海分部", "广州分部", "成都分部"],
    "客服部": ["一线支持", "二线支持"],
    "人力资源部": ["招聘组", "薪酬绩效"],
    "财务部": ["会计组", "出纳组"],
    "行政部": ["采购组"],
    "法务部": [],
}
departments = [{"we_id": 1, "we_name": "办公逸", "we_parentid": 0, "rank": 0}]
paths = {}
next_id = 2
for i, (name, children) in enumerate(tree.items()):
    pid = next_id; next_id += 1
    departments.append({"we_id": pid, "we_name": name, "we_parentid": 1, "rank": (i + 1) * 100})
    paths[pid] = f"办公逸/{name}"
    for j, child in enumerate(children):
        cid = next_id; next_id += 1
        departments.append({"we_id": cid, "we_name": child, "we_parentid": pid, "rank": (j + 1) * 100})
        paths[cid] = f"办公逸/{name}/{child}"

surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
given = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍鹏建华红梅飞鑫宇浩然子轩欣怡梓涵晨曦思远一鸣佳琪雨桐俊杰文博嘉怡"
pinyin = ["wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun", "ma", "zhu", "hu", "guo", "he", "gao", "lin", "luo"]
positions = ["工程师", "高级工程师", "经理", "主管", "专员", "助理", "总监", "顾问"]
leaves = [d["we_id"] for d in departments if d["we_id"] not in (1,) and not any(c["we_parentid"] == d["we_id"] for c in departments)]
staff = []
used = set()
for n in range(320):
    name = random.choice(surnames) + "".join(random.choice(given) for _ in range(random.choice([1, 2])))
    account = f"{random.choice(pinyin)}{n + 1:04d}"
    dept = random.choice(leaves)
    depts = [dept] + ([random.choice(leaves)] if random.random() < 0.08 else [])
    depts = list(dict.fromkeys(depts))
    year = random.randint(2012, 2025)
    month, day = random.randint(1, 12), random.randint(1, 28)
    person = {
        "we_userid": account,
        "we_name": name,
        "we_gender": random.choice(["1", "2"]),
        "we_mobile": f"1{random.choice('3456789')}{random.randint(0, 999999999):09d}",
        "we_email": f"{account}@bangongyi-demo.cn",
        "we_id": ",".join(str(d) for d in depts),
        "we_position": random.choice(positions),
        "status": random.choice(["0", "0", "0", "1"]),
        "entry_time": f"{year}-{month:02d}-{day:02d}",
        "check_id": str(10000 + n),
    }
    if person["status"] == "0":
        py = min(year + (1 if month > 9 else 0), 2025)
        pm = month + 3 if month <= 9 else month - 9
        person["positive_time"] = f"{py}-{pm:02d}-{day:02d}"
    staff.append(person)

with open("samples/org.json", "w", encoding="utf-8") as f:
    json.dump({"departments": departments, "staff": staff}, f, ensure_ascii=False, indent=1)
print(len(departments), "departments,", len(staff), "staff")
