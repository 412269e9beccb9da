//! The rules a value or a row can break, each named in both languages. A rule groups a run's
//! issues in its summary and its report: `2 × 入职时间: 日期不存在 (entry_time: impossible date)`.

use std::fmt;

/// One rule: its fixed English name, which issues are grouped and told apart by, and its
/// Chinese one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rule {
    pub en: &'static str,
    pub zh: &'static str,
}

const fn rule(en: &'static str, zh: &'static str) -> Rule {
    Rule { en, zh }
}

/// `日期不存在 (impossible date)`
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.zh, self.en)
    }
}

// A cell.
pub const EXCEL_ERROR: Rule = rule("excel error value", "Excel 错误值");
pub const CONTROL_CHARACTER: Rule = rule("control character", "含不可见的控制字符");
pub const REQUIRED: Rule = rule("required", "必填");
pub const NOT_WHOLE_NUMBER: Rule = rule("not a whole number", "不是整数");
pub const NUMBER_LOST_PRECISION: Rule = rule("number lost precision", "数字已丢失末尾几位");

// Dates.
pub const IMPOSSIBLE_DATE: Rule = rule("impossible date", "日期不存在");
pub const DATE_OUT_OF_RANGE: Rule = rule("date out of range", "日期超出范围");
pub const UNRECOGNISED_DATE: Rule = rule("unrecognised date", "无法识别的日期");
pub const NOT_A_WHOLE_DATE: Rule = rule("not a whole date", "不是完整日期");
pub const LUNAR_WITHOUT_YEAR: Rule = rule("lunar date without a year", "农历日期缺少年份");
pub const LEAP_MONTH: Rule = rule("leap month sent as its month", "闰月按平月发送");
pub const POSITIVE_BEFORE_ENTRY: Rule = rule("probation end before entry", "转正时间早于入职时间");
pub const NO_DATE: Rule = rule("no date", "没有要更新的日期");

// A person's values.
pub const ACCOUNT_TOO_LONG: Rule = rule("account too long", "帐号过长");
pub const ACCOUNT_CHARACTERS: Rule = rule("account characters", "帐号含不允许的字符");
pub const NAME_TOO_LONG: Rule = rule("name too long", "姓名过长");
pub const MOBILE: Rule = rule("mobile", "不是有效的手机号");
pub const EMAIL: Rule = rule("email", "不是有效的邮箱地址");
pub const GENDER: Rule = rule("gender", "应为 男 或 女");
pub const STATUS: Rule = rule("status", "不是办公逸的人事状态");
/// A 人事状态 [`in_service`](super::fields::in_service): a warning; a plan brings back a leaver
/// bgy marked whose row says so.
pub const IN_SERVICE: Rule = rule("in service", "在职等人事状态不发送");
pub const SYNC_FLAG: Rule = rule("sync flag", "应为 是 或 否");
pub const BANK_CARD: Rule = rule("bank card", "银行卡号不是数字");
pub const CHECK_ID_DIGITS: Rule = rule("check id digits", "考勤号不是数字");
pub const CHECK_ID_LEADING_ZERO: Rule = rule("check id leading zero", "考勤号以 0 开头");
pub const CHECK_ID_TOO_LARGE: Rule = rule("check id too large", "考勤号过大");
pub const NO_CONTACT: Rule = rule("no contact", "手机、邮箱、微信号都没填");
pub const NO_DEPARTMENT: Rule = rule("no department", "部门和部门ID都没填");

// A row.
pub const HIDDEN_ROW: Rule = rule("hidden row", "隐藏的行");
pub const ONE_CELL: Rule = rule("one cell", "只填了一格的行");

// Rows against each other.
pub const DUPLICATE_ACCOUNT: Rule = rule("duplicate account", "帐号重复");
pub const DUPLICATE_MOBILE: Rule = rule("duplicate mobile", "手机号重复");
pub const DUPLICATE_EMAIL: Rule = rule("duplicate e-mail", "邮箱重复");
pub const DUPLICATE_CHECK_ID: Rule = rule("duplicate check id", "考勤号重复");

// Against the directory.
/// A row whose account the directory has (a check's warning).
pub const ACCOUNT_EXISTS: Rule = rule("account exists", "帐号已在通讯录中");
/// A row of dates, deletes or leavers whose account the directory lacks.
pub const ACCOUNT_NOT_FOUND: Rule = rule("account not found", "帐号不在通讯录中");
pub const NAME_DIFFERS: Rule = rule("name differs", "姓名与通讯录中的不同");
pub const TAKEN: Rule = rule("taken in the directory", "已属于通讯录中的别人");
pub const CHANGED_SINCE: Rule = rule("changed since the run", "运行之后又被改过");

// Departments.
pub const DEPARTMENT_ID: Rule = rule("department id", "部门ID不对");
pub const DEPARTMENT_PATH: Rule = rule("department path", "部门路径不对");
pub const DEPARTMENT_NAME: Rule = rule("department name", "部门名称不对");
pub const UNKNOWN_DEPARTMENT: Rule = rule("unknown department", "部门不存在");
pub const UNKNOWN_DEPARTMENT_ID: Rule = rule("unknown department id", "部门ID不存在");
pub const UNKNOWN_ROOT: Rule = rule("unknown root department", "根部门不存在");
pub const AMBIGUOUS_DEPARTMENT: Rule = rule("ambiguous department", "部门不明确");
pub const STALE_DEPARTMENT_PATH: Rule = rule("stale department path", "部门不存在,以部门ID为准");
/// A row whose 部门ID and 部门 name different departments.
pub const DEPARTMENT_MISMATCH: Rule = rule("department mismatch", "部门与部门ID不一致");
pub const DEPARTMENT_EDITED: Rule = rule("department edited", "按改过的部门处理");
pub const DEPARTMENT_COMPLETED: Rule = rule("department completed", "部门路径已补全");
pub const DEPARTMENT_SEPARATOR: Rule = rule("department separator", "部门路径的分隔符按 / 读");
pub const DEPARTMENTS_SEPARATOR: Rule = rule("departments separator", "多个部门按 ; 分开读");
pub const DEPARTMENT_ROOT: Rule = rule("department root", "根部门按通讯录的读");
pub const NO_SUCH_DEPARTMENT: Rule = rule("no such department", "部门ID不存在");
pub const SIBLING_NAME: Rule = rule("sibling name", "同级已有同名部门");
pub const DUPLICATE_DEPARTMENT: Rule = rule("duplicate department", "重复新建同一个部门");
pub const NO_PARENT: Rule = rule("no parent", "上级部门不存在");

// Leaders (直接上级).
pub const LEADER_NOT_FOUND: Rule = rule("leader not found", "找不到直接上级");
/// The warning an offline check leaves on a leader's name nobody in the sheet has; a check
/// online replaces it with what the directory said.
pub const LEADER_NOT_IN_FILE: Rule = rule("leader's name not in the file", "直接上级不在本文件中");
pub const LEADER_BY_NAME: Rule = rule("leader found by name", "直接上级按姓名找到");
pub const LEADER_BY_NAME_AND_DEPARTMENT: Rule = rule(
    "leader found by name and department",
    "直接上级按姓名和部门找到",
);
pub const LEADER_SEVERAL: Rule = rule("leader's name is several people's", "直接上级不止一人同名");
pub const LEADER_ACCOUNT_ELSEWHERE: Rule = rule(
    "leader's account is someone else's",
    "直接上级的帐号是别人的",
);
