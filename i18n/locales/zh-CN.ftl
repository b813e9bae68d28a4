# 千里眼，简体中文。这里的每条消息都必须在 en.ftl 中存在，且占位符相同（qly-i18n 的测试会检查）。

## 通用

lang-name = 简体中文
found-of = { $targets } 个中的 { $found } 个
n-candidates = { $count } 个候选

## review score：竞赛排行榜（终端、CSV、HTML）

board-default-title = 目标发现竞赛
board-rules = 评分规则：{ $rules }
board-leaderboard = 排行榜
board-warnings = 警告
warning-line = 警告：{ $warning }
board-team-line = 得分 { $score }，发现 { $found }，分值合计 { $credit }，扣分 { $penalty }
board-team-paragraph = { $line }；发现用时：{ $times }
board-list = { $what }：{ $ids }
board-false-reports = 误报
board-forgiven = 免罚（自主飞行重复报告）
board-ignored = 忽略（超出报告上限）
rules-line = { $gate }{ $class }；得分 = { $credit }；{ $penalty }；{ $cap }
rules-no-gate = 无距离门限
rules-gate = { $metres } 米以内有效
rules-same-class = ，类别须一致
rules-speed-linear = 速度 1 - t/{ $limit }
rules-speed-within = 速度：{ $limit } 以内
rules-no-cap = 报告数量不设上限
rules-cap = 至多计入 { $k } 倍目标数的报告
rules-penalty-per-target = 每个误报扣 { $penalty }（按单个目标的分值）
rules-penalty-per-task = 每个误报扣 { $penalty }（按整个任务）
rules-discovery = 发现
rules-location = 定位（{ $full } 米以内得满分，{ $zero } 米处为零）
rules-classification = 分类
rules-autonomy = 自主
col-rank = 名次
col-team = 队伍
col-score = 得分
col-found = 发现
col-false = 误报
col-ignored = 忽略
col-mean-error = 平均误差（米）
col-median-error = 误差中位数（米）
col-last-report = 最后报告
col-target = 目标
col-report = 报告
col-error = 误差（米）
col-time = 时间
col-credit = 分值
csv-rank = 名次
csv-team = 队伍
csv-score = 得分
csv-found = 发现数
csv-targets = 目标数
csv-false-reports = 误报数
csv-ignored-reports = 忽略报告数
csv-mean-error-m = 平均误差_米
csv-median-error-m = 误差中位数_米
csv-last-report-s = 最后报告_秒
csv-times-to-finds-s = 发现用时_秒
csv-false-report-ids = 误报编号

## review report：航次审核页

unknown = 未知
metres = { $m } 米
utc = UTC
china-standard-time = 北京时间，UTC+8
wgs84-label = WGS-84（GPS）
gcj02-label = GCJ-02（高德、腾讯地图；百度地图用 BD-09，不是这个）
predicted-error-value = CE90 { $ce90 } 米，CEP50 { $cep50 } 米；1σ 误差椭圆 { $major } × { $minor } 米，长轴方位 { $bearing }°（自正北）
decision-undecided = 未决定
decision-confirmed = 已确认
decision-rejected = 已否决
decision-confirm = 确认
decision-reject = 否决
card-candidate = 候选 { $id }
card-crop = 裁剪图（最佳视角）
card-crop-alt = 候选 { $id } 的裁剪图
card-box-outside = 检测框在照片之外
card-frame-not-encodable = 照片无法编码：{ $error }
card-frame-missing = 照片缺失：{ $path }
card-frame-unreadable = { $path }：照片无法读取：{ $error }
card-unconfirmed-badge = 未确认：{ $needed } 张照片中仅 { $seen } 张
card-uid = 跨航次编号
card-class = 类别
card-confidence = 置信度
card-confidence-value = 最高 { $max }，平均 { $mean }
card-best-time = 最佳视角时间
card-seen = 发现时段
card-position = 位置来源
card-sightings = 目击次数
card-predicted-error = 预测误差
card-camera = 相机
card-camera-value = 离地高度 { $height }，斜距 { $slant } 米
card-revision = 修订版本
page-title = 航次审核：{ $flight }
page-summary = 已确认候选 { $confirmed } 个（未确认 { $unconfirmed } 个），照片 { $photos } 张，目击 { $sightings } 次。
page-photo-span = 照片时间 { $first } 至 { $last }（UTC）；开始于北京时间 { $start_cst }。
page-no-photos = 日志中没有照片。
page-track-telemetry = 飞行轨迹：来自 { $file } 的 { $count } 个位置（GLOBAL_POSITION_INT）。
page-track-frames = 飞行轨迹：没有遥测日志；由 { $count } 张照片的相机位置绘制。
page-frames-missing = 缺少 { $count } 张照片（见警告）。
page-map = 地图
legend-lanes = 蓝色虚线：计划航线
legend-track = 黑线：飞行轨迹
legend-photos = 白点：拍照点
legend-candidates = 红色：候选点，含 CE90 圆（阴影）和 1σ 椭圆（虚线）
legend-frame = 局部东/北坐标（米），上北
page-candidates = 候选
page-show-unconfirmed = 显示 { $count } 个未确认的目击
page-unconfirmed-why = （少于 { $needed } 张照片看到的候选；机载程序未上报）
page-datums = 坐标说明：WGS-84 是 GPS、GIS 软件和导出文件使用的坐标；GCJ-02 是国内地图应用（高德、腾讯）使用的偏移坐标，请把这一对坐标粘贴到这些应用中。百度地图使用再次偏移的 BD-09，两对坐标在百度地图中都不准确。
page-decisions = 审核决定
page-decisions-kept = 在您下载之前，本浏览器会为此航次保存审核决定。
page-inspector = 检查员（姓名和证件号）：
page-download = 下载 { $file }
page-decided-of = 已决定 { $decided } / { $shown }
page-not-downloaded = 审核决定尚未下载
page-shown-count = 显示 { $n } / { $total }
page-utc-paren = （UTC）
page-cst-paren = （北京时间）
page-seen-value = { $first } 至 { $last }（UTC）
page-frame-alt = 照片 { $file }
page-filter-class = 类别
page-filter-decision = 审核决定
page-filter-confidence = 置信度不低于
page-background-photos = 底图：本航次的照片，按相机位姿平铺在平地上（近似：起伏和倾斜会使其偏移数米；候选点位置不由它得出）。
page-background-none = 无照片底图：日志中没有相机标定（航次头）或没有能放置的照片。
page-basemap-zooms-left-out = 底图“{ $name }”：缩放级别 { $zooms } 未包含（航次周围超过 { $max } 张瓦片）
legend-candidates-map = 红色：候选点及其 CE90 圆；点击可查看卡片
map-track = 飞行轨迹
map-track-from-photos = 飞行轨迹（由照片相机位置绘制：无遥测）
map-plan = 计划
map-photo = 照片
map-photo-points = 拍照点
map-photos-layer = 本航次照片
map-basemap-layer = 底图
map-candidates-layer = 候选点
map-missing = 地图库未能加载。

## review export：证据包的 KML 和 CSV（字段标题：field-<列名>）

kml-document = { $flight } 已确认候选
kml-placemark = { $id } { $class }
field-candidate-id = 候选编号
field-class = 类别
field-time-utc = 时间_UTC
field-time-local = 时间_北京时间
field-lat-wgs84-deg = 纬度_WGS84_度
field-lon-wgs84-deg = 经度_WGS84_度
field-lat-gcj02-deg = 纬度_GCJ02_度
field-lon-gcj02-deg = 经度_GCJ02_度
field-photo-file = 照片文件
field-aircraft = 航空器
field-height-above-ground-m = 离地高度_米
field-confidence-max = 最高置信度
field-sightings = 目击次数
field-ce90-m = CE90_米
field-confirmed-by = 确认人
field-uid = 跨航次编号

## review：命令行消息

cli-report-written = { $file }：已确认候选 { $confirmed } 个（未确认 { $unconfirmed } 个），照片 { $photos } 张，警告 { $warnings } 条
cli-export-written = { $dir }：已确认候选 { $confirmed } 个，文件 { $files } 个；清单链头 SHA-256 { $head }
cli-export-signed = 签名单位“{ $signer }”（公钥 { $key }）
cli-keygen-secret = { $file }：“{ $signer }”的私钥（请妥善保管：持有者即可以单位名义签名）
cli-keygen-public = { $file }：公钥 { $key }（交给核验方）
cli-verify-ok = { $dir }：OK（核验通过）：已核验 { $files } 个文件和 { $entries } 条清单记录；链头 SHA-256 { $head }
cli-verify-failed = { $dir }：FAILED（核验未通过）：{ $problems } 个问题
cli-decide-confirm-all = 警告：--confirm-all：{ $count } 个候选未经任何人查看即被确认（仅为演示，不是检查）；记录的决定人为“{ $inspector }”
cli-decide-by-truth = --by-truth：{ $count } 个候选按模拟世界的真值 { $truth } 决定（{ $within } 米内有同类目标即确认），并非检查员决定
cli-decide-written = { $file }：本次确认 { $confirmed } 个，否决 { $rejected } 个；文件中共 { $total } 条决定
cli-record-written = { $file }：航次记录及 { $count } 份发现记录，引用清单链头 SHA-256 { $head }

## review record：可打印的检查记录

north-short = 北
class-outfall = 排污口
class-plume = 污染羽流
record-title = 现场检查记录：发现 { $id }
record-subtitle = 航次 { $flight }；发现编号 { $uid }
record-flight-title = 航次检查记录
record-flight-subtitle = 已确认发现 { $count } 处
record-flight = 航次
record-finding = 发现
record-finding-value = 第 { $id } 号，{ $class }；{ $sightings } 张照片中看到，最高置信度 { $confidence }
record-time = 拍摄时间
record-height = 离地高度
record-confirmed-by = 审核确认人
record-confirmed-by-value = { $inspector }，{ $when }（北京时间）
record-aircraft = 航空器（导出时填写）
record-aircraft-registration = 航空器登记号／序列号（手填）
record-operator = 操作员／飞手（手填）
record-inspector = 检查员及证件号（手填）
record-signature-date = 签名及日期（手填）
record-notes = 现场核查情况及备注（手填）
record-inset-near = 地图：周边各 { $m } 米，黑线为飞行轨迹，红圈为 CE90
record-inset-far = 地图：整个航次
record-hashes = 证据哈希值（SHA-256）
record-hash-photo = 照片 { $file }
record-hash-crop = 裁剪图 { $file }
record-hash-entry = 本记录的清单条目
record-hash-head = 证据包（清单链头）
record-signature = 单位签名
record-unsigned = 未签名
record-signed-by = 由 { $signer } 签名
record-verify-hint = 任何人都可以用 `review verify` 对照证据包核验这些哈希值；照片或记录一旦被改动，哈希值随之改变。
record-photo-title = 发现 { $id }：完整照片
record-photo-caption = { $file }，北京时间 { $time }；红框为检测结果。
record-package = 证据包
record-package-value = { $dir }，由 { $inspector } 于 { $created }（北京时间）生成
record-findings = 已确认的发现
record-col-id = 编号
record-col-time = 时间（北京时间）
record-col-ce90 = CE90（米）

## review patrol：模拟巡查的统计结果

not-available = 无
figures-found = { $within } 米以内发现目标：{ $found }/{ $targets }（{ $percent } %）
figures-class = { $class }：{ $within } 米以内 { $found }/{ $targets }（有效半径内匹配 { $matched } 个）
figures-score = 竞赛得分：{ $score }
figures-error = { $matched } 个匹配候选的定位误差：中位数 { $median }，90 百分位 { $p90 }
figures-predicted = 预测误差（CEP50 中位数）：{ $cep50 }；实际中位数 / 预测 = { $ratio }
figures-coverage = 预测与实际的覆盖率：{ $ce90 } 落在各自的 CE90 内（应为 90 %），{ $cep50 } 落在 CEP50 内（应为 50 %）
figures-false = 误报：{ $km } 公里河道上 { $count } 个，即每公里 { $per_km } 个（共 { $candidates } 个候选）

## review score：裁判必须知道的输入错误

check-gcj02 = 报告点距最近目标的中位距离为 { $as_read } 米，这一偏移可由 GCJ-02 转换消除（转换后中位距离 { $alternative } 米）：{ $advice }
check-gcj02-drop = --datum { $team }=gcj02 让这些报告点离目标更远：该文件看来已是 WGS-84，请去掉此选项
check-gcj02-add = 这些点是否取自高德/腾讯（GCJ-02）地图？如果是，请加上 --datum { $team }=gcj02
check-repeats-id = 与 { $other } 的编号重复
check-duplicate = 与 { $other } 重复（相距 { $metres } 米）：二者至多一个能发现目标，另一个按误报扣分
check-no-class = 没有类别，但目标有类别（{ $known }）：它无法发现有类别的目标
check-unknown-class = 未知类别“{ $class }”（目标的类别为：{ $known }）：它无法发现有类别的目标
check-far = 距最近目标（{ $target }）{ $km } 公里：在竞赛区域之外
check-untimed = { $total } 个报告中有 { $untimed } 个没有时间：它们得不到速度分，且报告上限按文件顺序保留前面的报告
check-before-start = 时间早于竞赛开始 { $seconds } 秒

## planner plan：飞手起飞前阅读的一屏摘要

plan-survey = 测区
plan-kind-corridor = 河道走廊，宽 { $width } 米
plan-kind-area = 区域，{ $holes } 个空洞，{ $exclusions } 个禁飞区
plan-camera = 相机
plan-camera-value = { $name }（{ $orientation }），旁向重叠 { $side } % / 航向重叠 { $front } %
plan-altitude = 高度
plan-altitude-flat = 起飞点以上 { $alt } 米（限高 { $ceiling } 米）
plan-frame-home = 相对起飞点
plan-frame-terrain = 地形高度坐标系
plan-altitude-terrain = 离地 { $agl } 米 ± { $tolerance } 米，仿地飞行（{ $frame }；起飞点地面海拔 { $home } 米；限高 { $ceiling } 米，最小净空 { $clearance } 米）
plan-lanes-agl = 航线离地
plan-lanes-agl-value = 测量航线上离地 { $min } 至 { $max } 米；与目标高度的最大偏差 { $deviation } 米
plan-path-agl = 全程离地
plan-path-agl-value = 全程（含转场）离地 { $min } 至 { $max } 米；与目标高度的最大偏差 { $deviation } 米，位于 { $lat }, { $lon }
plan-climb = 爬升
plan-climb-value = 最陡上升 { $up } / 下降 { $down }（米/米），限高以下超出限制 { $steeper } 米；航点简化前 { $before } 个，地面采样 { $samples } 个，简化后 { $after } 个
plan-photos-agl = 拍照离地
plan-photos-agl-value = 相机下方离地 { $lowest } 至 { $highest } 米；间距按离地 { $design } 米布设；地形上最小像幅为布设值的 { $smallest } 倍
plan-gsd = 地面分辨率
plan-gsd-value = { $gsd } 厘米/像素，像幅 { $side } × { $front } 米（旁向 × 航向）
plan-lanes = 航线
plan-lanes-value = { $count } 条，{ $spacing }（旁向重叠 { $overlap } % 要求间距不超过 { $max } 米），每 { $trigger } 米拍一张
plan-spacing-even = 间距 { $median } 米
plan-spacing-range = 间距 { $median } 米（中位数；{ $min } 至 { $max } 米）
plan-spacing-one = 仅一条
plan-length = 航程
plan-length-value = 测量航程 { $km } 公里（下限 { $bound } 公里的 { $ratio } 倍）
plan-time = 飞行时间
plan-time-value = { $time }，速度 { $speed } 米/秒（按 ArduCopter 的实际飞法估算：S 曲线加速、转弯、停顿）
plan-photos = 照片
plan-photos-value = { $count } 张（间距不小于 { $metres } 米 = 速度 { $speed } 米/秒下的 { $seconds } 秒，即相机最短拍摄间隔；速度过快以致跟不上拍照距离的计划会被拒绝）
plan-sorties = 架次
plan-coverage = 覆盖率
plan-coverage-value = 按要求重叠度覆盖 { $covered } %，被拍到 { $seen } %（网格 { $cell } 米，每格至少 { $photos } 张照片）
plan-margin = 避让距离
plan-margin-value = 与 { $zones } 个空洞/禁飞区保持 { $metres } 米（--exclusion-margin-m）；其中只有在那里布线才能拍到的地面，在上面的覆盖率中计为未覆盖
plan-datum = 坐标系
plan-datum-wgs84 = WGS-84（按原样）
plan-datum-cgcs2000 = CGCS2000，按 WGS-84 处理（两者相差几厘米）
plan-datum-converted = 已由 { $datum } 转换为 WGS-84
plan-from-file = 取自文件
plan-sortie-from-launch = 从“{ $name }”（{ $lat }, { $lon }）起飞
plan-sortie-from-home = 从起飞点（{ $lat }, { $lon }）起飞
plan-sortie-reserve = ，余量 { $time }
plan-sortie-line = 架次 { $number } { $launch }：{ $time } = 转场 { $transit } + 测量 { $survey }{ $reserve }，照片 { $first }..{ $last }
plan-sortie-total = 合计        飞行 { $flying }，其中测量 { $surveying }（{ $pct } %）；转场指爬升、往返起飞点的飞行和降落
plan-sortie-total-battery = 合计        飞行 { $flying }，其中测量 { $surveying }（{ $pct } %）；转场指爬升、往返起飞点的飞行和降落；余量指降落时剩余的电池时间（不少于 --reserve-min）
plan-written = 已写入

## review serve: the review of the store and the contest hub
serve-listening = review serve：正在监听 http://{ $addr }（数据库 { $store }）
serve-contest-loaded = 竞赛 { $name }：{ $teams } 支队伍，{ $targets } 个目标，从数据库计入 { $uploads } 份提交
serve-stopped = review serve：已停止
serve-index-title = 千里眼审核服务
serve-index-review = 数据库中的航次与排污口点位
serve-index-leaderboard = 竞赛排行榜
serve-index-results = 最终成绩表（需裁判令牌）
serve-index-store = 数据库：{ $store }
serve-board-updated = 更新时间（UTC）：
serve-board-refresh = 本页每 { $seconds } 秒自动刷新。
serve-col-uploads = 提交次数
serve-col-last-upload = 最近提交（UTC）
serve-review-title = 航次与排污口点位
serve-review-filter = 显示
serve-review-river = 河流
serve-review-all-rivers = 全部河流
serve-review-which = 点位
serve-which-all = 全部
serve-which-new = 上次巡查以来新发现
serve-which-not-seen = 本次未见
serve-which-plume-again = 已知排污口再次出现羽流
serve-review-flights = 航次
serve-review-sites = 点位
serve-col-flight = 航次
serve-col-river = 河流
serve-col-time = 时间（UTC）
serve-col-photos = 照片
serve-col-candidates = 候选目标
serve-col-confirmed = 已确认
serve-col-decided = 已审核
serve-col-site = 点位
serve-col-class = 类别
serve-col-position = 位置（纬度，经度）
serve-col-ce90 = CE90（米）
serve-col-first-seen = 首次发现（UTC）
serve-col-last-seen = 最近发现（UTC）
serve-col-passed = 巡查经过次数
serve-col-seen = 发现次数
serve-col-plume = 羽流
serve-col-last-flight = 最近发现航次
serve-col-decision = 审核结论
serve-col-decide = 审核
serve-col-candidate = 候选目标
serve-col-sightings = 目击次数
serve-col-confidence = 置信度
serve-flight-title = 航次 { $flight }
serve-decide-inspector = 审核人姓名
serve-decide-confirm = 确认
serve-decide-reject = 否决
serve-decide-token-note = 审核需要审核人令牌：浏览器会提示输入（用户名任意，令牌作为密码）。
