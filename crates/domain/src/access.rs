//! Authorisation: roles grant permissions, each with a data scope; this module alone
//! decides what a user may see and change.
//!
//! A user with several roles gets, for each permission, the union of the scopes of the
//! roles that grant it. Scopes are resolved to a set of unit ids (plus the user's own id
//! for "self only"); every list and detail query filters by that set.

use crate::DomainError;
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

/// One thing a role may do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Permission {
    /// Read divisions, units and leaders.
    #[serde(rename = "org.read")]
    OrgRead,
    /// Create, edit, move and deactivate divisions, units and leaders.
    #[serde(rename = "org.write")]
    OrgWrite,
    /// Read user accounts.
    #[serde(rename = "user.read")]
    UserRead,
    /// Create and edit user accounts, reset passwords, assign roles.
    #[serde(rename = "user.write")]
    UserWrite,
    /// Read roles.
    #[serde(rename = "role.read")]
    RoleRead,
    /// Create and edit roles and their data scope.
    #[serde(rename = "role.write")]
    RoleWrite,
    /// Read the audit log.
    #[serde(rename = "audit.read")]
    AuditRead,
    /// Read key projects, their plans and milestones.
    #[serde(rename = "project.read")]
    ProjectRead,
    /// Create and edit projects, plans and milestones; import ledgers.
    #[serde(rename = "project.write")]
    ProjectWrite,
    /// Configure the project registry: column synonyms of the ledger import.
    #[serde(rename = "project.admin")]
    ProjectAdmin,
    /// Fill in and submit monthly reports of projects in scope.
    #[serde(rename = "report.write")]
    ReportWrite,
    /// Approve or return submitted reports of projects in scope.
    #[serde(rename = "report.review")]
    ReportReview,
    /// Open and close reporting periods, lock and amend reports, set the light rule
    /// and the working-day calendar.
    #[serde(rename = "report.admin")]
    ReportAdmin,
    /// Raise problems for projects in scope and handle problems routed to units in scope.
    #[serde(rename = "problem.write")]
    ProblemWrite,
    /// Reroute problems, close with an override, set the routing table and the
    /// notification channels.
    #[serde(rename = "problem.admin")]
    ProblemAdmin,
    /// Report progress on and claim completion of tasks led by units in scope.
    #[serde(rename = "task.write")]
    TaskWrite,
    /// Issue supervised tasks, verify or return completion claims.
    #[serde(rename = "task.admin")]
    TaskAdmin,
    /// Enter arena values (with evidence) for units in scope.
    #[serde(rename = "arena.write")]
    ArenaWrite,
    /// Configure arenas, review entered values, score and publish.
    #[serde(rename = "arena.admin")]
    ArenaAdmin,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 19] = [
        Self::OrgRead,
        Self::OrgWrite,
        Self::UserRead,
        Self::UserWrite,
        Self::RoleRead,
        Self::RoleWrite,
        Self::AuditRead,
        Self::ProjectRead,
        Self::ProjectWrite,
        Self::ProjectAdmin,
        Self::ReportWrite,
        Self::ReportReview,
        Self::ReportAdmin,
        Self::ProblemWrite,
        Self::ProblemAdmin,
        Self::TaskWrite,
        Self::TaskAdmin,
        Self::ArenaWrite,
        Self::ArenaAdmin,
    ];

    /// The identifier stored in the database and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrgRead => "org.read",
            Self::OrgWrite => "org.write",
            Self::UserRead => "user.read",
            Self::UserWrite => "user.write",
            Self::RoleRead => "role.read",
            Self::RoleWrite => "role.write",
            Self::AuditRead => "audit.read",
            Self::ProjectRead => "project.read",
            Self::ProjectWrite => "project.write",
            Self::ProjectAdmin => "project.admin",
            Self::ReportWrite => "report.write",
            Self::ReportReview => "report.review",
            Self::ReportAdmin => "report.admin",
            Self::ProblemWrite => "problem.write",
            Self::ProblemAdmin => "problem.admin",
            Self::TaskWrite => "task.write",
            Self::TaskAdmin => "task.admin",
            Self::ArenaWrite => "arena.write",
            Self::ArenaAdmin => "arena.admin",
        }
    }

    /// The Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            Self::OrgRead => "查看组织机构",
            Self::OrgWrite => "管理组织机构",
            Self::UserRead => "查看用户",
            Self::UserWrite => "管理用户",
            Self::RoleRead => "查看角色",
            Self::RoleWrite => "管理角色",
            Self::AuditRead => "查看审计日志",
            Self::ProjectRead => "查看项目",
            Self::ProjectWrite => "维护项目",
            Self::ProjectAdmin => "配置项目库",
            Self::ReportWrite => "填报月报",
            Self::ReportReview => "审核月报",
            Self::ReportAdmin => "管理报送期与预警规则",
            Self::ProblemWrite => "提出和办理问题",
            Self::ProblemAdmin => "管理问题清单",
            Self::TaskWrite => "办理督办任务",
            Self::TaskAdmin => "交办与核验督办任务",
            Self::ArenaWrite => "填报擂台赛数据",
            Self::ArenaAdmin => "管理擂台赛与发布成绩",
        }
    }
}

impl FromStr for Permission {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s.trim())
            .ok_or_else(|| {
                DomainError::new(
                    "permissions",
                    format!("未知权限“{s}”。"),
                    format!("Unknown permission '{s}'."),
                )
            })
    }
}

/// The five data-scope levels of Chinese government systems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataScope {
    /// 全部数据
    All,
    /// 自定义（指定单位）
    Custom,
    /// 本单位
    OwnUnit,
    /// 本单位及以下
    OwnUnitAndBelow,
    /// 仅本人
    SelfOnly,
}

impl DataScope {
    /// Every level, widest first.
    pub const ALL: [DataScope; 5] = [
        Self::All,
        Self::Custom,
        Self::OwnUnit,
        Self::OwnUnitAndBelow,
        Self::SelfOnly,
    ];

    /// The identifier stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Custom => "custom",
            Self::OwnUnit => "own_unit",
            Self::OwnUnitAndBelow => "own_unit_and_below",
            Self::SelfOnly => "self_only",
        }
    }

    /// The Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            Self::All => "全部数据",
            Self::Custom => "自定义单位",
            Self::OwnUnit => "本单位",
            Self::OwnUnitAndBelow => "本单位及以下",
            Self::SelfOnly => "仅本人",
        }
    }
}

impl FromStr for DataScope {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|d| d.as_str() == s.trim())
            .ok_or_else(|| {
                DomainError::new(
                    "data_scope",
                    format!(
                        "未知数据范围“{s}”，应为 all/custom/own_unit/own_unit_and_below/self_only。"
                    ),
                    format!("Unknown data scope '{s}'."),
                )
            })
    }
}

/// A built-in role: identifier, names, permissions and default data scope.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinRole {
    /// Identifier, as used by `gongjian user add --role`.
    pub code: &'static str,
    /// Chinese name.
    pub zh: &'static str,
    /// English name.
    pub en: &'static str,
    /// What it may do.
    pub permissions: &'static [Permission],
    /// Its data scope.
    pub scope: DataScope,
}

/// The built-in roles. admin, security_admin and audit_admin are kept apart (三员分立):
/// the system administrator cannot touch accounts or read the audit log, the security
/// administrator cannot change the organisation, the auditor can only read.
pub const BUILTIN_ROLES: &[BuiltinRole] = {
    use DataScope::*;
    use Permission::*;
    &[
        BuiltinRole {
            code: "admin",
            zh: "系统管理员",
            en: "System administrator",
            permissions: &[OrgRead, OrgWrite, RoleRead, ProjectRead, ProjectAdmin],
            scope: All,
        },
        BuiltinRole {
            code: "security_admin",
            zh: "安全管理员",
            en: "Security administrator",
            permissions: &[OrgRead, UserRead, UserWrite, RoleRead, RoleWrite],
            scope: All,
        },
        BuiltinRole {
            code: "audit_admin",
            zh: "安全审计员",
            en: "Audit administrator",
            permissions: &[OrgRead, UserRead, RoleRead, AuditRead],
            scope: All,
        },
        BuiltinRole {
            code: "office",
            zh: "重点项目办",
            en: "Key project office",
            permissions: &[
                OrgRead,
                UserRead,
                ProjectRead,
                ProjectWrite,
                ProjectAdmin,
                ReportWrite,
                ReportReview,
                ReportAdmin,
                ProblemWrite,
                ProblemAdmin,
                TaskWrite,
                ArenaWrite,
                ArenaAdmin,
            ],
            scope: All,
        },
        BuiltinRole {
            code: "supervision",
            zh: "督查室",
            en: "Supervision office",
            permissions: &[
                OrgRead,
                UserRead,
                ProjectRead,
                ProblemWrite,
                ProblemAdmin,
                TaskWrite,
                TaskAdmin,
            ],
            scope: All,
        },
        BuiltinRole {
            code: "leader",
            zh: "市级领导",
            en: "City leader",
            permissions: &[OrgRead, UserRead, ProjectRead, ProblemWrite],
            scope: All,
        },
        BuiltinRole {
            code: "division",
            zh: "县区用户",
            en: "Division user",
            permissions: &[
                OrgRead,
                UserRead,
                ProjectRead,
                ProjectWrite,
                ReportWrite,
                ReportReview,
                ProblemWrite,
                TaskWrite,
                ArenaWrite,
            ],
            scope: OwnUnitAndBelow,
        },
        BuiltinRole {
            code: "department",
            zh: "部门用户",
            en: "Department user",
            permissions: &[
                OrgRead,
                UserRead,
                ProjectRead,
                ProjectWrite,
                ReportWrite,
                ProblemWrite,
                TaskWrite,
                ArenaWrite,
            ],
            scope: OwnUnit,
        },
        BuiltinRole {
            code: "project_unit",
            zh: "项目单位",
            en: "Project unit",
            permissions: &[
                OrgRead,
                UserRead,
                ProjectRead,
                ProjectWrite,
                ReportWrite,
                ProblemWrite,
                TaskWrite,
            ],
            scope: OwnUnit,
        },
        BuiltinRole {
            code: "assessor",
            zh: "第三方评估",
            en: "Third-party assessor",
            permissions: &[OrgRead, ProjectRead],
            scope: All,
        },
    ]
};

/// Looks up a built-in role by identifier.
pub fn builtin_role(code: &str) -> Option<&'static BuiltinRole> {
    BUILTIN_ROLES.iter().find(|r| r.code == code)
}

/// Pairs of roles that one person may not hold together (三员分立).
pub const EXCLUSIVE_ROLES: [(&str, &str); 3] = [
    ("admin", "security_admin"),
    ("admin", "audit_admin"),
    ("security_admin", "audit_admin"),
];

/// Refuses a set of role codes that breaks the separation of the three administrators.
pub fn check_role_combination(codes: &[&str]) -> Result<(), DomainError> {
    for (a, b) in EXCLUSIVE_ROLES {
        if codes.contains(&a) && codes.contains(&b) {
            return Err(DomainError::new(
                "roles",
                format!("“{a}”与“{b}”不能由同一人担任（三员分立）。"),
                format!("'{a}' and '{b}' cannot be held by one person (separation of duties)."),
            ));
        }
    }
    Ok(())
}

/// A role as the user holds it, with what its scope needs to be resolved.
#[derive(Debug, Clone)]
pub struct HeldRole {
    /// Role identifier.
    pub code: String,
    /// Permissions the role grants.
    pub permissions: BTreeSet<Permission>,
    /// Its data scope level.
    pub scope: DataScope,
    /// Units of a `Custom` scope.
    pub custom_units: BTreeSet<i64>,
}

/// The records a user may reach with one permission.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeSet {
    /// Everything.
    pub all: bool,
    /// Records belonging to these units.
    pub units: BTreeSet<i64>,
    /// Records owned by this user (the "self only" level).
    pub user: Option<i64>,
}

impl ScopeSet {
    /// Whether nothing at all is reachable.
    pub fn is_empty(&self) -> bool {
        !self.all && self.units.is_empty() && self.user.is_none()
    }

    /// Whether a record belonging to `unit` (and, if known, owned by `user`) is reachable.
    pub fn allows(&self, unit: Option<i64>, user: Option<i64>) -> bool {
        self.all
            || unit.is_some_and(|u| self.units.contains(&u))
            || (user.is_some() && user == self.user)
    }

    fn union(&mut self, other: ScopeSet) {
        self.all |= other.all;
        self.units.extend(other.units);
        self.user = self.user.or(other.user);
    }
}

/// Everything a signed-in user may do, resolved once per request.
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// The user's id (`None` for the command line acting as the system).
    pub user_id: Option<i64>,
    /// The user's unit.
    pub unit_id: Option<i64>,
    /// Role identifiers held.
    pub roles: Vec<String>,
    scopes: BTreeMap<Permission, ScopeSet>,
}

impl Access {
    /// Resolves held roles into per-permission scopes. `subtree(unit)` returns the unit
    /// and all units below it.
    pub fn resolve(
        user_id: i64,
        unit_id: i64,
        roles: &[HeldRole],
        subtree: impl Fn(i64) -> BTreeSet<i64>,
    ) -> Access {
        let mut scopes: BTreeMap<Permission, ScopeSet> = BTreeMap::new();
        let mut below: Option<BTreeSet<i64>> = None;
        for role in roles {
            let set = match role.scope {
                DataScope::All => ScopeSet {
                    all: true,
                    ..Default::default()
                },
                DataScope::Custom => ScopeSet {
                    units: role.custom_units.clone(),
                    ..Default::default()
                },
                DataScope::OwnUnit => ScopeSet {
                    units: BTreeSet::from([unit_id]),
                    ..Default::default()
                },
                DataScope::OwnUnitAndBelow => {
                    let units = below.get_or_insert_with(|| subtree(unit_id)).clone();
                    ScopeSet {
                        units,
                        ..Default::default()
                    }
                }
                DataScope::SelfOnly => ScopeSet {
                    user: Some(user_id),
                    ..Default::default()
                },
            };
            for p in &role.permissions {
                scopes.entry(*p).or_default().union(set.clone());
            }
        }
        Access {
            user_id: Some(user_id),
            unit_id: Some(unit_id),
            roles: roles.iter().map(|r| r.code.clone()).collect(),
            scopes,
        }
    }

    /// The command line acting as the system: every permission, everything in scope.
    pub fn system() -> Access {
        let scopes = Permission::ALL
            .into_iter()
            .map(|p| {
                (
                    p,
                    ScopeSet {
                        all: true,
                        ..Default::default()
                    },
                )
            })
            .collect();
        Access {
            user_id: None,
            unit_id: None,
            roles: vec!["system".into()],
            scopes,
        }
    }

    /// Whether the permission is granted at all.
    pub fn has(&self, p: Permission) -> bool {
        self.scopes.get(&p).is_some_and(|s| !s.is_empty())
    }

    /// The scope of a permission; empty when not granted.
    pub fn scope(&self, p: Permission) -> ScopeSet {
        self.scopes.get(&p).cloned().unwrap_or_default()
    }

    /// Fails unless the permission is granted.
    pub fn require(&self, p: Permission) -> Result<(), Denied> {
        if self.has(p) { Ok(()) } else { Err(Denied(p)) }
    }

    /// Fails unless a record of `unit` / `user` is within the permission's scope.
    pub fn require_in_scope(
        &self,
        p: Permission,
        unit: Option<i64>,
        user: Option<i64>,
    ) -> Result<(), Denied> {
        if self.scope(p).allows(unit, user) {
            Ok(())
        } else {
            Err(Denied(p))
        }
    }
}

/// The user lacks a permission, or the record is outside its scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("permission denied: {}", .0.as_str())]
pub struct Denied(pub Permission);

#[cfg(test)]
mod tests {
    use super::*;

    fn role(code: &str, perms: &[Permission], scope: DataScope, custom: &[i64]) -> HeldRole {
        HeldRole {
            code: code.into(),
            permissions: perms.iter().copied().collect(),
            scope,
            custom_units: custom.iter().copied().collect(),
        }
    }

    // Unit tree: 1 → {2 → {4, 5}, 3}
    fn subtree(u: i64) -> BTreeSet<i64> {
        match u {
            1 => BTreeSet::from([1, 2, 3, 4, 5]),
            2 => BTreeSet::from([2, 4, 5]),
            x => BTreeSet::from([x]),
        }
    }

    #[test]
    fn each_level_resolves() {
        use DataScope::*;
        use Permission::*;
        let at = |scope, custom: &[i64]| {
            Access::resolve(9, 2, &[role("r", &[OrgRead], scope, custom)], subtree).scope(OrgRead)
        };
        assert!(at(All, &[]).all);
        assert_eq!(at(Custom, &[3, 5]).units, BTreeSet::from([3, 5]));
        assert_eq!(at(OwnUnit, &[]).units, BTreeSet::from([2]));
        assert_eq!(at(OwnUnitAndBelow, &[]).units, BTreeSet::from([2, 4, 5]));
        let own = at(SelfOnly, &[]);
        assert!(own.units.is_empty() && own.user == Some(9));
        assert!(own.allows(Some(2), Some(9)) && !own.allows(Some(2), Some(8)));
    }

    #[test]
    fn several_roles_give_the_union_per_permission() {
        use DataScope::*;
        use Permission::*;
        let a = Access::resolve(
            9,
            2,
            &[
                role("a", &[OrgRead], OwnUnit, &[]),
                role("b", &[OrgRead, UserRead], Custom, &[3]),
            ],
            subtree,
        );
        assert_eq!(a.scope(OrgRead).units, BTreeSet::from([2, 3]));
        assert_eq!(
            a.scope(UserRead).units,
            BTreeSet::from([3]),
            "a permission keeps only the scopes of roles granting it"
        );
        assert!(!a.has(OrgWrite));
        assert_eq!(a.require(OrgWrite), Err(Denied(OrgWrite)));
        assert!(a.require_in_scope(OrgRead, Some(3), None).is_ok());
        assert!(a.require_in_scope(UserRead, Some(2), None).is_err());
    }

    #[test]
    fn empty_custom_scope_grants_nothing() {
        let a = Access::resolve(
            9,
            2,
            &[role("a", &[Permission::OrgRead], DataScope::Custom, &[])],
            subtree,
        );
        assert!(!a.has(Permission::OrgRead));
    }

    #[test]
    fn three_administrators_stay_apart() {
        assert!(check_role_combination(&["admin", "office"]).is_ok());
        assert!(check_role_combination(&["admin", "audit_admin"]).is_err());
        assert!(check_role_combination(&["security_admin", "audit_admin", "leader"]).is_err());
        let admin = builtin_role("admin").unwrap();
        assert!(
            !admin.permissions.contains(&Permission::UserWrite)
                && !admin.permissions.contains(&Permission::AuditRead)
        );
        let auditor = builtin_role("audit_admin").unwrap();
        assert!(
            auditor
                .permissions
                .iter()
                .all(|p| !p.as_str().ends_with(".write"))
        );
    }

    #[test]
    fn every_builtin_role_of_the_issue_exists() {
        for code in [
            "admin",
            "security_admin",
            "audit_admin",
            "office",
            "supervision",
            "leader",
            "division",
            "department",
            "project_unit",
            "assessor",
        ] {
            assert!(builtin_role(code).is_some(), "{code}");
        }
    }
}
