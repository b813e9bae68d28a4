# Qianliyan, English. Every message here must exist in zh-CN.ftl with the same placeables
# (the qly-i18n tests check it). Numbers arrive formatted unless a plural needs the value.

## Shared

lang-name = English
found-of = { $found } of { $targets }
n-candidates = { $count ->
    [one] { $count } candidate
   *[other] { $count } candidates
}

## review score: the contest board (terminal, CSV, HTML)

board-default-title = Target discovery contest
board-rules = Rules: { $rules }
board-leaderboard = Leaderboard
board-warnings = Warnings
warning-line = warning: { $warning }
board-team-line = score { $score }, found { $found }, credit { $credit }, penalty { $penalty }
board-team-paragraph = { $line }; times to finds: { $times }
board-list = { $what }: { $ids }
board-false-reports = false reports
board-forgiven = forgiven (autonomy twins)
board-ignored = ignored (over the report cap)
rules-line = { $gate }{ $class }; credit = { $credit }; { $penalty }; { $cap }
rules-no-gate = no distance gate
rules-gate = eligible within { $metres } m
rules-same-class = , same class
rules-speed-linear = speed 1 - t/{ $limit }
rules-speed-within = speed: within { $limit }
rules-no-cap = no report cap
rules-cap = at most { $k } x targets reports count
rules-penalty-per-target = { $penalty } per false report (of one target's credit)
rules-penalty-per-task = { $penalty } per false report (of the whole task)
rules-discovery = discovery
rules-location = location (1 within { $full } m, 0 at { $zero } m)
rules-classification = classification
rules-autonomy = autonomy
col-rank = Rank
col-team = Team
col-score = Score
col-found = Found
col-false = False reports
col-ignored = Ignored
col-mean-error = Mean error (m)
col-median-error = Median error (m)
col-last-report = Last report
col-target = Target
col-report = Report
col-error = Error (m)
col-time = Time
col-credit = Credit
csv-rank = rank
csv-team = team
csv-score = score
csv-found = found
csv-targets = targets
csv-false-reports = false_reports
csv-ignored-reports = ignored_reports
csv-mean-error-m = mean_error_m
csv-median-error-m = median_error_m
csv-last-report-s = last_report_s
csv-times-to-finds-s = times_to_finds_s
csv-false-report-ids = false_report_ids

## review report: the review page

unknown = unknown
metres = { $m } m
utc = UTC
china-standard-time = China Standard Time, UTC+8
wgs84-label = WGS-84 (GPS)
gcj02-label = GCJ-02 (Amap, Tencent maps; Baidu maps use BD-09, not this)
predicted-error-value = CE90 { $ce90 } m, CEP50 { $cep50 } m; 1-sigma ellipse { $major } x { $minor } m, major axis { $bearing }° from north
decision-undecided = undecided
decision-confirmed = confirmed
decision-rejected = rejected
decision-confirm = Confirm
decision-reject = Reject
card-candidate = Candidate { $id }
card-crop = crop (best view)
card-crop-alt = crop of candidate { $id }
card-box-outside = box outside the frame
card-frame-not-encodable = frame not encodable: { $error }
card-frame-missing = frame missing: { $path }
card-frame-unreadable = { $path }: frame unreadable: { $error }
card-unconfirmed-badge = unconfirmed: { $seen } of { $needed } photos
card-uid = id across flights
card-class = class
card-confidence = confidence
card-confidence-value = max { $max }, mean { $mean }
card-best-time = best view time
card-seen = seen
card-position = position
card-sightings = sightings
card-predicted-error = predicted error
card-camera = camera
card-camera-value = height above ground { $height }, slant range { $slant } m
card-revision = revision
page-title = Flight review: { $flight }
page-summary = { $confirmed } confirmed candidates ({ $unconfirmed } unconfirmed), { $photos } photos, { $sightings } sightings.
page-photo-span = Photos { $first } to { $last } (UTC); start { $start_cst } China Standard Time.
page-no-photos = No photos in the journal.
page-track-telemetry = Flown track: { $count } positions from { $file } (GLOBAL_POSITION_INT).
page-track-frames = Flown track: NO TELEMETRY LOG; drawn from the { $count } photos' camera positions.
page-frames-missing = { $count } frame(s) missing (see warnings).
page-map = Map
legend-lanes = dashed blue: planned lanes
legend-track = black line: flown track
legend-photos = white dots: photo points
legend-candidates = red: candidates with CE90 circle (shaded) and 1-sigma ellipse (dashed)
legend-frame = local east/north metres, north up
page-candidates = Candidates
page-show-unconfirmed = show { $count } unconfirmed sightings
page-unconfirmed-why = (candidates seen in fewer than { $needed } photos; the companion did not report them)
page-datums = Coordinates: WGS-84 is what GPS, GIS tools and the exports use; GCJ-02 is the offset datum of Chinese map apps (Amap/Gaode, Tencent): paste that pair there. Baidu maps use BD-09, a further offset, so neither pair is right in Baidu.
page-decisions = Decisions
page-decisions-kept = Decisions are kept by this browser for this flight until you download them.
page-inspector = Inspector (name and badge number):
page-download = Download { $file }
page-decided-of = { $decided } of { $shown } decided
page-not-downloaded = decisions not yet downloaded
page-shown-count = { $n } of { $total } shown
page-utc-paren = (UTC)
page-cst-paren = (China Standard Time)
page-seen-value = { $first } to { $last } (UTC)
page-frame-alt = frame { $file }
page-filter-class = Class
page-filter-decision = Decision
page-filter-confidence = Confidence at least
page-background-photos = Background: this flight's photos, placed by their camera poses on flat ground (an approximation: hills and tilt shift them by metres; the candidates' positions do not come from it).
page-background-none = No photo background: the journal has no camera calibration (flight header) or no photo could be placed.
page-basemap-zooms-left-out = basemap '{ $name }': zooms { $zooms } left out (more than { $max } tiles around the flight)
legend-candidates-map = red: candidates with CE90 circle; click one for its card
map-track = flown track
map-track-from-photos = flown track (from photo camera positions: no telemetry)
map-plan = planned
map-photo = photo
map-photo-points = photo points
map-photos-layer = photos of this flight
map-basemap-layer = basemap
map-candidates-layer = candidates
map-missing = The map library did not load.

## review export: the evidence package's KML and CSV (field titles: field-<column>)

kml-document = { $flight } confirmed candidates
kml-placemark = { $id } { $class }
field-candidate-id = candidate_id
field-class = class
field-time-utc = time_utc
field-time-local = time_local
field-lat-wgs84-deg = lat_wgs84_deg
field-lon-wgs84-deg = lon_wgs84_deg
field-lat-gcj02-deg = lat_gcj02_deg
field-lon-gcj02-deg = lon_gcj02_deg
field-photo-file = photo_file
field-aircraft = aircraft
field-height-above-ground-m = height_above_ground_m
field-confidence-max = confidence_max
field-sightings = sightings
field-ce90-m = ce90_m
field-confirmed-by = confirmed_by
field-uid = uid

## review: command-line messages

cli-report-written = { $file }: { $confirmed } confirmed candidates ({ $unconfirmed } unconfirmed), { $photos } photos, { $warnings } warnings
cli-export-written = { $dir }: { $confirmed } confirmed candidates, { $files } files; manifest head SHA-256 { $head }
cli-export-signed = signed by '{ $signer }' (public key { $key })
cli-keygen-secret = { $file }: secret key of '{ $signer }' (keep it private: whoever holds it signs as the office)
cli-keygen-public = { $file }: public key { $key } (give it to whoever verifies)
cli-verify-ok = { $dir }: OK: { $files } files and { $entries } manifest entries verified; head SHA-256 { $head }
cli-verify-failed = { $dir }: FAILED: { $problems } problem(s)
cli-decide-confirm-all = WARNING: --confirm-all: { $count } candidates CONFIRMED WITHOUT ANYONE LOOKING AT THEM (a demo, not an inspection); recorded as decided by '{ $inspector }'
cli-decide-by-truth = --by-truth: { $count } candidates decided by the simulated world's ground truth { $truth } (confirmed: a target of its class within { $within } m), not by an inspector
cli-decide-written = { $file }: { $confirmed } confirmed, { $rejected } rejected now; { $total } decisions in the file
cli-record-written = { $file }: the flight's record and { $count } finding record(s), citing manifest head SHA-256 { $head }

## review record: the printable inspection record

north-short = N
class-outfall = outfall
class-plume = plume
record-title = Inspection record: finding { $id }
record-subtitle = Flight { $flight }; finding { $uid }
record-flight-title = Flight inspection record
record-flight-subtitle = { $count ->
    [one] { $count } confirmed finding
   *[other] { $count } confirmed findings
}
record-flight = Flight
record-finding = Finding
record-finding-value = No. { $id }, { $class }; seen in { $sightings } photos, confidence up to { $confidence }
record-time = Time of the photo
record-height = Height above ground
record-confirmed-by = Confirmed on review by
record-confirmed-by-value = { $inspector }, { $when } (China Standard Time)
record-aircraft = Aircraft (as exported)
record-aircraft-registration = Aircraft registration / serial no. (fill in)
record-operator = Operator / pilot (fill in)
record-inspector = Inspector, badge no. (fill in)
record-signature-date = Signature and date (fill in)
record-notes = On-site findings, notes (fill in)
record-inset-near = Map: { $m } m each side, flown track (black), CE90 (red)
record-inset-far = Map: the whole flight
record-hashes = Evidence hashes (SHA-256)
record-hash-photo = Photo { $file }
record-hash-crop = Crop { $file }
record-hash-entry = This record's manifest entry
record-hash-head = Evidence package (manifest head)
record-signature = Office signature
record-unsigned = not signed
record-signed-by = signed by { $signer }
record-verify-hint = Anyone can check these hashes against the evidence package with `review verify`; a changed photo or record changes them.
record-photo-title = Finding { $id }: the full photo
record-photo-caption = { $file }, { $time } China Standard Time; the red box is the detection.
record-package = Evidence package
record-package-value = { $dir }, made { $created } (China Standard Time) by { $inspector }
record-findings = Confirmed findings
record-col-id = No.
record-col-time = Time (China Standard Time)
record-col-ce90 = CE90 (m)

## review patrol: a simulated patrol's figures

not-available = n/a
figures-found = targets found within { $within } m: { $found }/{ $targets } ({ $percent } %)
figures-class = { $class }: { $found }/{ $targets } within { $within } m ({ $matched } matched within the eligibility radius)
figures-score = contest score: { $score }
figures-error = localisation error of { $matched } matched candidates: median { $median }, 90th percentile { $p90 }
figures-predicted = predicted error (median CEP50): { $cep50 }; true median / predicted = { $ratio }
figures-coverage = predicted-vs-true coverage: { $ce90 } within their CE90 (expect 90 %), { $cep50 } within their CEP50 (expect 50 %)
figures-false = false reports: { $count } over { $km } km of river = { $per_km } per km ({ $candidates } candidates)

## review score: the input mistakes a judge must hear about

check-gcj02 = reports sit a median { $as_read } m from the nearest target, on an offset that a GCJ-02 conversion removes (median { $alternative } m after it): { $advice }
check-gcj02-drop = --datum { $team }=gcj02 moves these reports away from the targets: the file looks WGS-84 already; drop the option
check-gcj02-add = were they read off an Amap/Tencent (GCJ-02) map? If so pass --datum { $team }=gcj02
check-repeats-id = repeats the id of { $other }
check-duplicate = duplicates { $other } ({ $metres } m apart): at most one of them can find a target, the other costs a false-report penalty
check-no-class = has no class, but the targets do ({ $known }): it can find no classed target
check-unknown-class = unknown class '{ $class }' (the targets' classes are: { $known }): it can find no classed target
check-far = lies { $km } km from the nearest target ({ $target }): outside the contest area
check-untimed = { $untimed } of { $total } reports carry no time: they earn no speed credit, and the report cap keeps the first in file order
check-before-start = time is { $seconds } s before the contest start

## planner plan: the one-screen summary a pilot reads before flying

plan-survey = survey
plan-kind-corridor = corridor, { $width } m wide
plan-kind-area = area, { $holes } hole(s), { $exclusions } exclusion(s)
plan-camera = camera
plan-camera-value = { $name } ({ $orientation }), overlap side { $side } % / front { $front } %
plan-altitude = altitude
plan-altitude-flat = { $alt } m above take-off (ceiling { $ceiling } m)
plan-frame-home = relative to home
plan-frame-terrain = terrain frame
plan-altitude-terrain = { $agl } m above ground +/- { $tolerance } m, following the terrain ({ $frame }; home ground { $home } m AMSL; ceiling { $ceiling } m, clearance { $clearance } m)
plan-lanes-agl = lanes AGL
plan-lanes-agl-value = { $min } to { $max } m above ground along the survey lanes; largest deviation from target { $deviation } m
plan-path-agl = path AGL
plan-path-agl-value = { $min } to { $max } m above ground along the whole path (transit included); largest deviation from target { $deviation } m at { $lat }, { $lon }
plan-climb = climb
plan-climb-value = steepest { $up } up / { $down } down (m per m), { $steeper } m steeper than the limits under the ceiling; waypoints { $before } before, { $samples } ground samples, { $after } after simplification
plan-photos-agl = photos AGL
plan-photos-agl-value = { $lowest } to { $highest } m under the camera; spacing laid out at { $design } m above ground; smallest footprint on the terrain { $smallest } x the layout's
plan-gsd = GSD
plan-gsd-value = { $gsd } cm/px, footprint { $side } x { $front } m (side x front)
plan-lanes = lanes
plan-lanes-value = { $count }, { $spacing } (side overlap { $overlap } % needs at most { $max } m), photo every { $trigger } m
plan-spacing-even = { $median } m apart
plan-spacing-range = { $median } m apart (median; { $min } to { $max })
plan-spacing-one = one lane
plan-length = length
plan-length-value = { $km } km survey path ({ $ratio } x the lower bound { $bound } km)
plan-time = time
plan-time-value = { $time } at { $speed } m/s (survey pattern as ArduCopter flies it: S-curve acceleration, corners, stops)
plan-photos = photos
plan-photos-value = { $count } (none closer than { $metres } m = { $seconds } s at { $speed } m/s, the camera's minimum interval; a speed too fast for the trigger distance is refused)
plan-sorties = sorties
plan-coverage = coverage
plan-coverage-value = { $covered } % at the requested overlap, { $seen } % seen ({ $cell } m cells, >= { $photos } photos per cell)
plan-margin = margin
plan-margin-value = { $metres } m kept from { $zones } hole(s)/exclusion(s) (--exclusion-margin-m); ground within it that only a lane there would photograph counts as not covered above
plan-datum = datum
plan-datum-wgs84 = WGS-84 as given
plan-datum-cgcs2000 = CGCS2000, taken as WGS-84 (the two agree to a few centimetres)
plan-datum-converted = { $datum } converted to WGS-84
plan-from-file = from file
plan-sortie-from-launch = from '{ $name }' ({ $lat }, { $lon })
plan-sortie-from-home = from home ({ $lat }, { $lon })
plan-sortie-reserve = , reserve { $time }
plan-sortie-line = sortie { $number } { $launch }: { $time } = transit { $transit } + survey { $survey }{ $reserve }, photos { $first }..{ $last }
plan-sortie-total = total       { $flying } flying, { $surveying } of it surveying ({ $pct } %); transit is the climb, the flights to and from the take-off point and the landing
plan-sortie-total-battery = total       { $flying } flying, { $surveying } of it surveying ({ $pct } %); transit is the climb, the flights to and from the take-off point and the landing; reserve is the battery left at landing (at least --reserve-min)
plan-written = written

## review serve: the review of the store and the contest hub
serve-listening = review serve: listening on http://{ $addr } (store { $store })
serve-contest-loaded = contest { $name }: { $teams } teams, { $targets } targets, { $uploads } entries counted from the store
serve-stopped = review serve: stopped
serve-index-title = Qianliyan review server
serve-index-review = Flights and outfall sites in the store
serve-index-leaderboard = Contest leaderboard
serve-index-results = Final table (judges' token)
serve-index-store = Store: { $store }
serve-board-updated = Updated (UTC):
serve-board-refresh = The page refreshes itself every { $seconds } s.
serve-col-uploads = Uploads
serve-col-last-upload = Last upload (UTC)
serve-review-title = Flights and outfall sites
serve-review-filter = Show
serve-review-river = River
serve-review-all-rivers = all rivers
serve-review-which = Sites
serve-which-all = all
serve-which-new = new since the last patrol
serve-which-not-seen = not seen this time
serve-which-plume-again = plume again at a known outfall
serve-review-flights = Flights
serve-review-sites = Sites
serve-col-flight = Flight
serve-col-river = River
serve-col-time = Time (UTC)
serve-col-photos = Photos
serve-col-candidates = Candidates
serve-col-confirmed = Confirmed
serve-col-decided = Decided
serve-col-site = Site
serve-col-class = Class
serve-col-position = Position (lat, lon)
serve-col-ce90 = CE90 (m)
serve-col-first-seen = First seen (UTC)
serve-col-last-seen = Last seen (UTC)
serve-col-passed = Patrols passed
serve-col-seen = Seen
serve-col-plume = Plume
serve-col-last-flight = Last seen by
serve-col-decision = Decision
serve-col-decide = Decide
serve-col-candidate = Candidate
serve-col-sightings = Sightings
serve-col-confidence = Confidence
serve-flight-title = Flight { $flight }
serve-decide-inspector = inspector's name
serve-decide-confirm = Confirm
serve-decide-reject = Reject
serve-decide-token-note = Decisions need an inspector's token: the browser asks for it (any user name, the token as password).
