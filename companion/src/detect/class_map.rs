//! A user's own model: mapping its class list onto the project's classes.
//!
//! A bureau's YOLO model has its own classes (`drain_pipe`, `oil_slick`, `boat`, ...). The
//! companion's fusion, reports, review and contest scoring speak of two: `outfall` and
//! `plume`. The `[detector.class_map]` table says, for every class of the model (by name or by
//! id), which of the two it is, or that it is ignored. Detections of ignored classes are
//! dropped before suppression; several model classes may become the same project class (their
//! boxes are then suppressed together, as one class).
//!
//! The map is checked against the model when the detector loads: every model class must be
//! mapped (a class left out is an error, not silently dropped or passed through), and every
//! key must name a class of the model.

use std::collections::BTreeMap;

pub use qly_flight::class::{ProjectClass, PROJECT_CLASSES};

/// A class map that does not fit the model.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ClassMapError {
    #[error(
        "`detector.class_map.{key}`: the model has no class named or numbered {key:?}; its classes are {classes}"
    )]
    UnknownClass { key: String, classes: String },
    #[error(
        "`detector.class_map`: model class {name:?} (id {id}) is mapped twice, by keys {first:?} and {second:?}"
    )]
    Twice {
        id: usize,
        name: String,
        first: String,
        second: String,
    },
    #[error(
        "`detector.class_map`: model class {name:?} (id {id}) is not mapped: expected `{name} = \"outfall\"`, \"plume\" or \"ignore\""
    )]
    Unmapped { id: usize, name: String },
    #[error("`detector.class_map`: every model class is \"ignore\": expected at least one mapped to \"outfall\" or \"plume\"")]
    NothingKept,
}

/// A class map resolved against a model's class list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassMapping {
    /// Index = model class id; the project class id (index into [`PROJECT_CLASSES`]) or
    /// `None` when ignored.
    to_project: Vec<Option<usize>>,
}

fn list(names: &[String]) -> String {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{i} {n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl ClassMapping {
    /// Resolves `map` (keys: a model class name, or its id as decimal digits) against the
    /// model's `class_names` (index = id). A key that is both a name and another class's id
    /// is taken as the name.
    pub fn resolve(
        map: &BTreeMap<String, ProjectClass>,
        class_names: &[String],
    ) -> Result<ClassMapping, ClassMapError> {
        let mut by: Vec<Option<(&str, ProjectClass)>> = vec![None; class_names.len()];
        for (key, target) in map {
            let id = class_names
                .iter()
                .position(|n| n == key)
                .or_else(|| {
                    key.parse::<usize>()
                        .ok()
                        .filter(|id| *id < class_names.len())
                })
                .ok_or_else(|| ClassMapError::UnknownClass {
                    key: key.clone(),
                    classes: list(class_names),
                })?;
            if let Some((first, _)) = by[id] {
                return Err(ClassMapError::Twice {
                    id,
                    name: class_names[id].clone(),
                    first: first.to_string(),
                    second: key.clone(),
                });
            }
            by[id] = Some((key, *target));
        }
        let mut to_project = Vec::with_capacity(class_names.len());
        for (id, entry) in by.iter().enumerate() {
            let Some((_, target)) = entry else {
                return Err(ClassMapError::Unmapped {
                    id,
                    name: class_names[id].clone(),
                });
            };
            to_project.push(target.id());
        }
        if to_project.iter().all(Option::is_none) {
            return Err(ClassMapError::NothingKept);
        }
        Ok(ClassMapping { to_project })
    }

    /// The project class id of model class `model_class_id` (`None`: ignored, or not a class
    /// of the model).
    pub fn project_class(&self, model_class_id: usize) -> Option<usize> {
        self.to_project.get(model_class_id).copied().flatten()
    }

    /// Whether two or more model classes become one project class (their boxes must then be
    /// suppressed together, even from an end-to-end model).
    pub fn merges(&self) -> bool {
        PROJECT_CLASSES
            .iter()
            .enumerate()
            .any(|(p, _)| self.to_project.iter().filter(|t| **t == Some(p)).count() > 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    fn map(entries: &[(&str, ProjectClass)]) -> BTreeMap<String, ProjectClass> {
        entries.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn names_and_ids_map_model_classes_onto_the_project_classes() {
        let model = names(&["car", "drain_pipe", "oil_slick", "culvert"]);
        let m = ClassMapping::resolve(
            &map(&[
                ("car", ProjectClass::Ignore),
                ("drain_pipe", ProjectClass::Outfall),
                ("2", ProjectClass::Plume),
                ("3", ProjectClass::Outfall),
            ]),
            &model,
        )
        .unwrap();
        assert_eq!(
            (0..5).map(|i| m.project_class(i)).collect::<Vec<_>>(),
            [None, Some(0), Some(1), Some(0), None]
        );
        assert!(m.merges(), "drain_pipe and culvert are both outfalls");
    }

    #[test]
    fn a_name_wins_over_an_id_spelling_the_same() {
        // A model whose class 0 is called "1": key "1" is that class, not class 1.
        let model = names(&["1", "x"]);
        let m = ClassMapping::resolve(
            &map(&[("1", ProjectClass::Plume), ("x", ProjectClass::Ignore)]),
            &model,
        )
        .unwrap();
        assert_eq!((m.project_class(0), m.project_class(1)), (Some(1), None));
        assert!(!m.merges());
    }

    #[test]
    fn unknown_keys_unmapped_classes_and_double_entries_are_named() {
        let model = names(&["pipe", "slick"]);
        let e = ClassMapping::resolve(
            &map(&[
                ("pipe", ProjectClass::Outfall),
                ("slick", ProjectClass::Plume),
                ("boat", ProjectClass::Ignore),
            ]),
            &model,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "`detector.class_map.boat`: the model has no class named or numbered \"boat\"; its classes are 0 \"pipe\", 1 \"slick\""
        );
        let e = ClassMapping::resolve(&map(&[("7", ProjectClass::Outfall)]), &model).unwrap_err();
        assert!(matches!(e, ClassMapError::UnknownClass { .. }), "{e}");
        let e =
            ClassMapping::resolve(&map(&[("pipe", ProjectClass::Outfall)]), &model).unwrap_err();
        assert_eq!(
            e,
            ClassMapError::Unmapped {
                id: 1,
                name: "slick".into()
            }
        );
        assert!(e.to_string().contains("`slick = \"outfall\"`"), "{e}");
        let e = ClassMapping::resolve(
            &map(&[
                ("0", ProjectClass::Outfall),
                ("pipe", ProjectClass::Plume),
                ("slick", ProjectClass::Plume),
            ]),
            &model,
        )
        .unwrap_err();
        assert!(matches!(e, ClassMapError::Twice { id: 0, .. }), "{e}");
        let e = ClassMapping::resolve(
            &map(&[
                ("pipe", ProjectClass::Ignore),
                ("slick", ProjectClass::Ignore),
            ]),
            &model,
        )
        .unwrap_err();
        assert_eq!(e, ClassMapError::NothingKept);
    }
}
