//! Qianliyan's user-facing text: one [Fluent](https://projectfluent.org) catalogue per
//! language (`locales/zh-CN.ftl`, `locales/en.ftl`, compiled into the binary), the language
//! choice ([`Lang`]: `--lang`, else the locale) and the lookup ([`Lang::t`], [`Lang::t_args`]).
//!
//! Fluent rather than gettext or a hand-made table: its messages carry named placeables
//! (`{ $count }`) and plural selectors that translators can move around a sentence, which
//! Chinese word order needs, and the catalogue is plain text a translator edits without
//! touching code. Every message must exist in every language with the same placeables; the
//! crate's tests fail otherwise, and fail when code asks for a message the catalogue lacks.
//!
//! ```
//! use qly_i18n::Lang;
//! assert_eq!(Lang::En.t_args("found-of", &[("found", 3.into()), ("targets", 4.into())]), "3 of 4");
//! assert_eq!(Lang::ZhCn.t_args("found-of", &[("found", 3.into()), ("targets", 4.into())]), "4 个中的 3 个");
//! assert_eq!("zh".parse::<Lang>().unwrap(), Lang::ZhCn);
//! ```

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

pub mod width;

/// The languages Qianliyan speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Simplified Chinese (mainland China).
    ZhCn,
    /// English.
    En,
}

/// The catalogue texts, compiled in: nothing is read at run time.
const SOURCES: [(Lang, &str, &str); 2] = [
    (
        Lang::ZhCn,
        "locales/zh-CN.ftl",
        include_str!("../locales/zh-CN.ftl"),
    ),
    (
        Lang::En,
        "locales/en.ftl",
        include_str!("../locales/en.ftl"),
    ),
];

/// A `--lang` value that names no language we have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language {given:?}: expected zh-CN (or zh, cn) or en")]
pub struct UnknownLang {
    /// What was given.
    pub given: String,
}

/// One argument of a message: text, or a number (numbers pick English plural forms).
#[derive(Clone, Debug, PartialEq)]
pub enum Arg<'a> {
    /// Text, placed as is (format numbers with their precision and unit before).
    Str(Cow<'a, str>),
    /// A number: placed as Rust prints it; plural selectors see its value.
    Num(f64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Str(Cow::Borrowed(s))
    }
}
impl From<String> for Arg<'_> {
    fn from(s: String) -> Self {
        Arg::Str(Cow::Owned(s))
    }
}
impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Arg::Str(Cow::Borrowed(s.as_str()))
    }
}
macro_rules! num_arg {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg<'_> {
            fn from(n: $t) -> Self {
                Arg::Num(n as f64)
            }
        }
    )*};
}
num_arg!(usize, u64, u32, i64, i32);

impl Lang {
    /// Every language, the default first.
    pub const ALL: [Lang; 2] = [Lang::ZhCn, Lang::En];

    /// The BCP 47 tag: `zh-CN`, `en` (also the HTML `lang` attribute).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The language the user's locale asks for: the first set of `LC_ALL`, `LC_MESSAGES`,
    /// `LANG` (the POSIX order); Chinese when it names `zh`, else English.
    pub fn from_locale() -> Lang {
        let var = |name: &str| std::env::var(name).ok();
        Lang::from_locale_vars(var("LC_ALL"), var("LC_MESSAGES"), var("LANG"))
    }

    /// [`Lang::from_locale`] on given values (`None` or empty: unset), for tests and callers
    /// that read the environment themselves.
    pub fn from_locale_vars(
        lc_all: Option<String>,
        lc_messages: Option<String>,
        lang: Option<String>,
    ) -> Lang {
        let chosen = [lc_all, lc_messages, lang]
            .into_iter()
            .flatten()
            .find(|v| !v.is_empty());
        match chosen {
            // `zh_CN.UTF-8`, `zh_TW`, `zh`: the only Chinese we have is Simplified.
            Some(v) if v.to_ascii_lowercase().starts_with("zh") => Lang::ZhCn,
            _ => Lang::En,
        }
    }

    /// The message `id` with no arguments. A message missing from the catalogue (a bug the
    /// tests catch) comes back as its id, so the user still sees something to report.
    pub fn t(self, id: &str) -> String {
        self.t_args(id, &[])
    }

    /// The message `id` with its named arguments.
    pub fn t_args(self, id: &str, args: &[(&str, Arg<'_>)]) -> String {
        let bundle = bundle(self);
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            return id.to_string();
        };
        let mut fargs = FluentArgs::new();
        for (name, value) in args {
            let v = match value {
                Arg::Str(s) => FluentValue::from(s.to_string()),
                Arg::Num(n) => FluentValue::from(*n),
            };
            fargs.set(*name, v);
        }
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&fargs), &mut errors);
        text.into_owned()
    }

    /// Whether the catalogue has message `id` (with a value) in this language.
    pub fn has(self, id: &str) -> bool {
        bundle(self)
            .get_message(id)
            .is_some_and(|m| m.value().is_some())
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// Parses `--lang`: `zh-CN`, `zh_CN`, `zh`, `cn`, `zh-Hans` (any case) or `en`, `en-US`, ...
/// Clap's derive takes it as is: `#[arg(long)] lang: Option<Lang>`.
impl FromStr for Lang {
    type Err = UnknownLang;

    fn from_str(s: &str) -> Result<Lang, UnknownLang> {
        let l = s.trim().to_ascii_lowercase().replace('_', "-");
        let primary = l.split(['-', '.']).next().unwrap_or("");
        match primary {
            "zh" | "cn" | "chs" => Ok(Lang::ZhCn),
            "en" => Ok(Lang::En),
            _ => Err(UnknownLang {
                given: s.to_string(),
            }),
        }
    }
}

/// The catalogue source of a language (file name and text), for tests and tools.
pub fn source(lang: Lang) -> (&'static str, &'static str) {
    SOURCES
        .iter()
        .find(|(l, _, _)| *l == lang)
        .map(|(_, name, text)| (*name, *text))
        .expect("every Lang has a catalogue")
}

fn bundle(lang: Lang) -> &'static FluentBundle<FluentResource> {
    static BUNDLES: [OnceLock<FluentBundle<FluentResource>>; 2] =
        [OnceLock::new(), OnceLock::new()];
    let slot = match lang {
        Lang::ZhCn => &BUNDLES[0],
        Lang::En => &BUNDLES[1],
    };
    slot.get_or_init(|| {
        let (name, text) = source(lang);
        // The catalogues are compiled in and parsed by the tests: a syntax error here is a
        // build of a broken catalogue, not bad user input.
        let resource = FluentResource::try_new(text.to_string())
            .unwrap_or_else(|(_, errors)| panic!("{name} does not parse: {errors:?}"));
        let id: LanguageIdentifier = lang.tag().parse().expect("our tags are valid BCP 47");
        let mut b = FluentBundle::new_concurrent(vec![id]);
        // No Unicode isolation marks around placeables: our text goes to terminals, CSV and
        // HTML, where invisible FSI/PDI characters break alignment, parsing and search.
        b.set_use_isolating(false);
        b.add_resource(resource)
            .unwrap_or_else(|errors| panic!("{name} defines a message twice: {errors:?}"));
        b
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_order_and_default() {
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            Lang::from_locale_vars(None, None, s("zh_CN.UTF-8")),
            Lang::ZhCn
        );
        assert_eq!(
            Lang::from_locale_vars(None, None, s("en_US.UTF-8")),
            Lang::En
        );
        assert_eq!(Lang::from_locale_vars(None, None, None), Lang::En);
        assert_eq!(Lang::from_locale_vars(None, None, s("C")), Lang::En);
        // LC_ALL beats LC_MESSAGES beats LANG; an empty value counts as unset.
        assert_eq!(
            Lang::from_locale_vars(s("en_GB"), s("zh_CN"), s("zh_CN")),
            Lang::En
        );
        assert_eq!(
            Lang::from_locale_vars(s(""), s("zh_CN"), s("en_US")),
            Lang::ZhCn
        );
        assert_eq!(
            Lang::from_locale_vars(None, s("en_US"), s("zh_CN")),
            Lang::En
        );
    }

    #[test]
    fn parses_lang_values() {
        for v in ["zh-CN", "zh_CN", "ZH", "cn", "zh-Hans", "zh_CN.UTF-8"] {
            assert_eq!(v.parse::<Lang>(), Ok(Lang::ZhCn), "{v}");
        }
        for v in ["en", "EN-us", "en_GB.UTF-8"] {
            assert_eq!(v.parse::<Lang>(), Ok(Lang::En), "{v}");
        }
        let e = "fr".parse::<Lang>().unwrap_err();
        assert!(
            e.to_string().contains("\"fr\"") && e.to_string().contains("zh-CN"),
            "{e}"
        );
        for l in Lang::ALL {
            assert_eq!(l.tag().parse::<Lang>(), Ok(l));
        }
    }

    #[test]
    fn lookup_with_arguments_and_plurals() {
        assert_eq!(
            Lang::En.t_args("n-candidates", &[("count", 1.into())]),
            "1 candidate"
        );
        assert_eq!(
            Lang::En.t_args("n-candidates", &[("count", 7.into())]),
            "7 candidates"
        );
        assert_eq!(
            Lang::ZhCn.t_args("n-candidates", &[("count", 7.into())]),
            "7 个候选"
        );
        // Unknown ids come back as themselves rather than panicking.
        let unknown = "no-such-message";
        assert_eq!(Lang::En.t(unknown), unknown);
        assert!(!Lang::En.has(unknown));
    }
}
