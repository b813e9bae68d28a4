//! The project's object classes: what every record, report, review and training label calls
//! a finding. A user's own model or dataset with other classes maps onto these
//! (the companion's `[detector.class_map]`, `review dataset import --map`).

use serde::{Deserialize, Serialize};

/// The project's classes in id order (YOLO label class ids, the shipped model's class ids).
pub const PROJECT_CLASSES: [&str; 2] = ["outfall", "plume"];

/// What a class of someone else's model or dataset becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProjectClass {
    Outfall,
    Plume,
    /// Dropped: not one of ours.
    Ignore,
}

impl ProjectClass {
    /// The project class id (index into [`PROJECT_CLASSES`]); `None` for
    /// [`ProjectClass::Ignore`].
    pub fn id(self) -> Option<usize> {
        match self {
            ProjectClass::Outfall => Some(0),
            ProjectClass::Plume => Some(1),
            ProjectClass::Ignore => None,
        }
    }

    /// `outfall`, `plume` or `ignore`, as written in configs and on command lines.
    pub fn parse(text: &str) -> Option<ProjectClass> {
        match text {
            "outfall" => Some(ProjectClass::Outfall),
            "plume" => Some(ProjectClass::Plume),
            "ignore" => Some(ProjectClass::Ignore),
            _ => None,
        }
    }
}

/// The id of a project class name (`"plume"` is 1); `None` for any other name.
pub fn project_class_id(name: &str) -> Option<usize> {
    PROJECT_CLASSES.iter().position(|p| *p == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_class_list() {
        for (i, name) in PROJECT_CLASSES.iter().enumerate() {
            assert_eq!(
                ProjectClass::parse(name).and_then(ProjectClass::id),
                Some(i)
            );
            assert_eq!(project_class_id(name), Some(i));
        }
        assert_eq!(ProjectClass::parse("ignore"), Some(ProjectClass::Ignore));
        assert_eq!(ProjectClass::parse("Outfall"), None);
        assert_eq!(project_class_id("car"), None);
    }
}
