# Qianliyan, English. Every message here must exist in zh-CN.ftl with the same placeables
# (the qly-i18n tests check it). Numbers arrive formatted unless a plural needs the value.

## Shared

lang-name = English
found-of = { $found } of { $targets }
n-candidates = { $count ->
    [one] { $count } candidate
   *[other] { $count } candidates
}
