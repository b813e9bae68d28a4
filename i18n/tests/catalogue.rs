//! The catalogues agree: every message in every language, with the same placeables, and every
//! message id the workspace's code asks for exists.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use fluent_syntax::ast;
use qly_i18n::{source, Lang};

/// Message (and term) ids to the variables their value and attributes use.
fn messages(lang: Lang) -> BTreeMap<String, BTreeSet<String>> {
    let (name, text) = source(lang);
    let resource = fluent_syntax::parser::parse(text)
        .unwrap_or_else(|(_, errors)| panic!("{name} does not parse: {errors:#?}"));
    let mut out = BTreeMap::new();
    for entry in resource.body {
        let (id, value, attributes) = match entry {
            ast::Entry::Message(m) => (m.id.name.to_string(), m.value, m.attributes),
            ast::Entry::Term(t) => (format!("-{}", t.id.name), Some(t.value), t.attributes),
            ast::Entry::Junk { content } => panic!("{name}: junk entry {content:?}"),
            _ => continue,
        };
        let mut vars = BTreeSet::new();
        if let Some(p) = &value {
            pattern_vars(p, &mut vars);
        }
        for a in &attributes {
            pattern_vars(&a.value, &mut vars);
        }
        assert!(out.insert(id.clone(), vars).is_none(), "{name}: {id} twice");
    }
    out
}

fn pattern_vars(p: &ast::Pattern<&str>, vars: &mut BTreeSet<String>) {
    for e in &p.elements {
        if let ast::PatternElement::Placeable { expression } = e {
            expression_vars(expression, vars);
        }
    }
}

fn expression_vars(e: &ast::Expression<&str>, vars: &mut BTreeSet<String>) {
    match e {
        ast::Expression::Select { selector, variants } => {
            inline_vars(selector, vars);
            for v in variants {
                pattern_vars(&v.value, vars);
            }
        }
        ast::Expression::Inline(i) => inline_vars(i, vars),
    }
}

fn inline_vars(i: &ast::InlineExpression<&str>, vars: &mut BTreeSet<String>) {
    match i {
        ast::InlineExpression::VariableReference { id } => {
            vars.insert(id.name.to_string());
        }
        ast::InlineExpression::FunctionReference { arguments, .. } => call_vars(arguments, vars),
        ast::InlineExpression::TermReference {
            arguments: Some(a), ..
        } => call_vars(a, vars),
        ast::InlineExpression::Placeable { expression } => expression_vars(expression, vars),
        _ => {}
    }
}

fn call_vars(a: &ast::CallArguments<&str>, vars: &mut BTreeSet<String>) {
    for p in &a.positional {
        inline_vars(p, vars);
    }
    for n in &a.named {
        inline_vars(&n.value, vars);
    }
}

#[test]
fn every_language_has_every_message_with_the_same_placeables() {
    let zh = messages(Lang::ZhCn);
    let en = messages(Lang::En);
    assert!(zh.len() > 2, "the zh-CN catalogue is nearly empty");
    let zh_ids: BTreeSet<_> = zh.keys().collect();
    let en_ids: BTreeSet<_> = en.keys().collect();
    let only_zh: Vec<_> = zh_ids.difference(&en_ids).collect();
    let only_en: Vec<_> = en_ids.difference(&zh_ids).collect();
    assert!(
        only_zh.is_empty() && only_en.is_empty(),
        "messages missing in en.ftl: {only_zh:?}; missing in zh-CN.ftl: {only_en:?}"
    );
    let differ: Vec<String> = zh
        .iter()
        .filter(|(id, vars)| en[*id] != **vars)
        .map(|(id, vars)| format!("{id}: zh-CN {vars:?}, en {:?}", en[id]))
        .collect();
    assert!(differ.is_empty(), "placeables differ: {differ:#?}");
}

#[test]
fn every_message_formats_without_errors_in_both_languages() {
    // A message whose value refers to a missing message or term only shows at format time.
    for lang in Lang::ALL {
        for (id, vars) in messages(lang) {
            if id.starts_with('-') {
                continue;
            }
            let args: Vec<(&str, qly_i18n::Arg)> =
                vars.iter().map(|v| (v.as_str(), 2.into())).collect();
            let text = lang.t_args(&id, &args);
            assert!(
                !text.contains("{$") && !text.contains("{-") && !text.contains("{???}"),
                "{lang} {id}: {text}"
            );
        }
    }
}

/// The workspace's Rust sources (not build output), for the ids the code asks for.
fn rust_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        if p.is_dir() {
            rust_sources(&p, out);
        } else if name.ends_with(".rs") {
            out.push(p);
        }
    }
}

/// The message ids written as string literals first in `.t(` / `.t_args(` calls. Code that
/// computes an id (`lang.t(id)`) is not seen: keep ids literal where you can.
fn ids_used(text: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for call in [".t(", ".t_args("] {
        let mut rest = text;
        while let Some(at) = rest.find(call) {
            rest = &rest[at + call.len()..];
            let after = rest.trim_start();
            if let Some(lit) = after.strip_prefix('"') {
                // A Fluent identifier, closed by a quote: not some other string argument.
                let end = lit
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                    .unwrap_or(lit.len());
                if end > 0 && lit[end..].starts_with('"') {
                    ids.push(lit[..end].to_string());
                }
            }
        }
    }
    ids
}

#[test]
fn every_id_the_code_uses_is_in_the_catalogue() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    rust_sources(&workspace, &mut files);
    let mut missing = Vec::new();
    let mut used = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for id in ids_used(&text) {
            used += 1;
            for lang in Lang::ALL {
                if !lang.has(&id) {
                    missing.push(format!("{} asks for {id}, missing in {lang}", f.display()));
                }
            }
        }
    }
    // This file's own doc test and unit tests use a few; the scan must see them.
    assert!(
        used > 0,
        "the scan found no use at all: is the pattern still right?"
    );
    assert!(missing.is_empty(), "{missing:#?}");
}

#[test]
fn the_scan_finds_ids() {
    assert_eq!(
        ids_used("lang.t(\"a-b\"); x.t_args( \"c\", &[]); y.t(name)"),
        vec!["a-b", "c"]
    );
}
