# 千里眼，简体中文。这里的每条消息都必须在 en.ftl 中存在，且占位符相同（qly-i18n 的测试会检查）。

## 通用

lang-name = 简体中文
found-of = { $targets } 个中的 { $found } 个
n-candidates = { $count } 个候选
