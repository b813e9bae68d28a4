//! What a stored mission item asks the vehicle to do, and where the mission stands.
//!
//! Items are read from their wire form ([`RawItem`]) rather than the typed
//! [`qly_core::mission::MissionItem`], because a vehicle must fly items the planner did not
//! write (a waypoint with an acceptance radius, an AMSL altitude) exactly as ArduCopter would.

use qly_core::geodesy::{Enu, GeoPosition, LocalFrame};
use qly_core::mission::{cmd, AltFrame, RawItem};

/// MAV_CMD_DO_DIGICAM_CONTROL (param5 = 1: take a photo).
pub const DO_DIGICAM_CONTROL: u16 = 203;

/// Default waypoint acceptance radius (ArduCopter WPNAV_RADIUS 200 cm).
pub const DEFAULT_WP_RADIUS_M: f64 = 2.0;

/// Where the vehicle's local frame is and where it is now: what an item's coordinates need.
#[derive(Debug, Clone, Copy)]
pub struct ItemContext<'a> {
    /// ENU frame about home (origin at home's ellipsoidal height).
    pub frame: &'a LocalFrame,
    /// Home height above mean sea level, metres.
    pub home_amsl_m: f64,
    /// The vehicle's present position, ENU about home.
    pub here: Enu,
}

/// One item, interpreted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ItemAction {
    /// Climb vertically to `height_m` above home.
    Takeoff {
        height_m: f64,
    },
    /// Fly to `target`; done within the radius, after holding `hold_s` there.
    Waypoint {
        target: Enu,
        radius_m: f64,
        hold_s: f64,
    },
    ReturnToLaunch,
    /// Land at a point (`None`: where the vehicle is).
    Land {
        target_h: Option<(f64, f64)>,
    },
    /// DO_JUMP: continue at item `target`, `repeat` times (negative: for ever).
    Jump {
        target: u16,
        repeat: i32,
    },
    /// One photo now (IMAGE_START_CAPTURE of a single image, DO_DIGICAM_CONTROL shoot).
    PhotoNow,
    /// New cruise speed; `None` leaves it unchanged.
    ChangeSpeed {
        speed_m_s: Option<f64>,
    },
    CamTriggerDistance {
        distance_m: f64,
        trigger_once: bool,
    },
    /// A command this simulator does not fly; it is skipped with a warning, as ArduPilot
    /// skips commands it cannot execute.
    Unsupported {
        command: u16,
    },
    /// A navigation item whose frame is not a global altitude frame.
    UnsupportedFrame {
        command: u16,
        frame: u8,
    },
}

impl ItemAction {
    /// Navigation items take time to complete; the others complete as they are read.
    pub fn is_nav(&self) -> bool {
        matches!(
            self,
            ItemAction::Takeoff { .. }
                | ItemAction::Waypoint { .. }
                | ItemAction::ReturnToLaunch
                | ItemAction::Land { .. }
        )
    }
}

/// Height above home of an item altitude in `frame`; the ground is flat at home height, so
/// terrain-relative equals home-relative here.
fn height_above_home(frame: u8, alt_m: f32, home_amsl_m: f64) -> Option<f64> {
    match AltFrame::from_mav_frame(frame)? {
        AltFrame::Amsl => Some(alt_m as f64 - home_amsl_m),
        AltFrame::RelativeHome | AltFrame::Terrain => Some(alt_m as f64),
    }
}

/// Horizontal ENU of an item's latitude/longitude; 0/0 means "where the vehicle is", as
/// ArduPilot reads it.
fn horizontal(raw: &RawItem, ctx: &ItemContext) -> (f64, f64) {
    if raw.lat_e7() == 0 && raw.lon_e7() == 0 {
        (ctx.here.e_m, ctx.here.n_m)
    } else {
        let h = ctx.frame.origin().h_ellipsoid_m;
        let enu = ctx
            .frame
            .to_enu(GeoPosition::new(raw.lat_deg, raw.lon_deg, h));
        (enu.e_m, enu.n_m)
    }
}

/// What `raw` asks for.
pub fn interpret(raw: &RawItem, ctx: &ItemContext) -> ItemAction {
    let unsupported_frame = ItemAction::UnsupportedFrame {
        command: raw.command,
        frame: raw.frame,
    };
    match raw.command {
        cmd::NAV_TAKEOFF => match height_above_home(raw.frame, raw.alt_m, ctx.home_amsl_m) {
            Some(height_m) => ItemAction::Takeoff { height_m },
            None => unsupported_frame,
        },
        cmd::NAV_WAYPOINT => match height_above_home(raw.frame, raw.alt_m, ctx.home_amsl_m) {
            Some(u) => {
                let (e, n) = horizontal(raw, ctx);
                let radius = raw.params[1] as f64;
                let hold = raw.params[0] as f64;
                ItemAction::Waypoint {
                    target: Enu::new(e, n, u),
                    radius_m: if radius.is_finite() && radius > 0.0 {
                        radius
                    } else {
                        DEFAULT_WP_RADIUS_M
                    },
                    hold_s: if hold.is_finite() && hold > 0.0 {
                        hold
                    } else {
                        0.0
                    },
                }
            }
            None => unsupported_frame,
        },
        // NAV_LOITER_TIME flies like a waypoint that holds param1 seconds.
        cmd::NAV_LOITER_TIME => match height_above_home(raw.frame, raw.alt_m, ctx.home_amsl_m) {
            Some(u) => {
                let (e, n) = horizontal(raw, ctx);
                let hold = raw.params[0] as f64;
                ItemAction::Waypoint {
                    target: Enu::new(e, n, u),
                    radius_m: DEFAULT_WP_RADIUS_M,
                    hold_s: if hold.is_finite() && hold > 0.0 {
                        hold
                    } else {
                        0.0
                    },
                }
            }
            None => unsupported_frame,
        },
        cmd::NAV_RETURN_TO_LAUNCH => ItemAction::ReturnToLaunch,
        cmd::DO_JUMP => ItemAction::Jump {
            target: raw.params[0].max(0.0) as u16,
            repeat: raw.params[1] as i32,
        },
        // IMAGE_START_CAPTURE: param2 interval, param3 number of images; only a single
        // image is simulated.
        cmd::IMAGE_START_CAPTURE if raw.params[2] == 1.0 => ItemAction::PhotoNow,
        // DO_DIGICAM_CONTROL: param5 = 1 shoots. In MISSION_ITEM_INT's mission frame param5
        // travels unscaled in `x`, which RawItem holds as degE7.
        DO_DIGICAM_CONTROL if raw.lat_e7() == 1 => ItemAction::PhotoNow,
        cmd::NAV_LAND => ItemAction::Land {
            target_h: if raw.lat_e7() == 0 && raw.lon_e7() == 0 {
                None
            } else {
                Some(horizontal(raw, ctx))
            },
        },
        cmd::DO_CHANGE_SPEED => {
            let s = raw.params[1] as f64;
            ItemAction::ChangeSpeed {
                speed_m_s: (s.is_finite() && s > 0.0).then_some(s),
            }
        }
        cmd::DO_SET_CAM_TRIGG_DIST => ItemAction::CamTriggerDistance {
            distance_m: raw.params[0] as f64,
            trigger_once: raw.params[2] == 1.0,
        },
        command => ItemAction::Unsupported { command },
    }
}

/// Where the stored mission stands: the sequence number of the item being executed and
/// whether it has started. Item 0 is home and is never flown.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MissionCursor {
    /// The wire items, item 0 = home.
    pub items: Vec<RawItem>,
    /// The current item (MISSION_CURRENT.seq); 0 before a mission has started.
    pub current: u16,
    /// Whether the current item's action has been started.
    pub started: bool,
    /// Whether the last item has completed.
    pub complete: bool,
    /// Jumps made by each DO_JUMP item (by its seq) since the mission started.
    pub jumps: std::collections::HashMap<u16, u32>,
}

impl MissionCursor {
    /// Number of flyable items (excluding home).
    pub fn flyable(&self) -> usize {
        self.items.len().saturating_sub(1)
    }

    /// Whether the first navigation item is a take-off (ArduCopter needs one to start AUTO
    /// from the ground).
    pub fn starts_with_takeoff(&self) -> bool {
        // MAV_CMD_NAV_* commands are numbered below MAV_CMD_NAV_LAST (95).
        self.items
            .iter()
            .skip(1)
            .find(|r| r.command < 95)
            .is_some_and(|r| r.command == cmd::NAV_TAKEOFF)
    }

    /// Replaces the stored mission. The current item is kept if it still exists.
    pub fn replace(&mut self, items: Vec<RawItem>) {
        self.items = items;
        if self.current as usize >= self.items.len() {
            self.current = 0;
        }
        self.started = false;
        self.complete = false;
    }

    /// Start (from item 1, jump counters reset) or resume (from the current item).
    pub fn start_or_resume(&mut self) {
        if self.current == 0 || self.complete {
            self.current = 1;
            self.jumps.clear();
        }
        self.started = false;
        self.complete = false;
    }

    /// Jumps to `seq`; `false` if there is no such flyable item.
    pub fn set_current(&mut self, seq: u16) -> bool {
        if seq == 0 || seq as usize >= self.items.len() {
            return false;
        }
        self.current = seq;
        self.started = false;
        self.complete = false;
        true
    }

    /// The current item, if the mission is not complete.
    pub fn current_item(&self) -> Option<&RawItem> {
        if self.complete || self.current == 0 {
            return None;
        }
        self.items.get(self.current as usize)
    }

    /// DO_JUMP at the current item: go to `target` if it exists and the jump has repeats
    /// left (then `true`), otherwise move past the jump.
    pub fn jump(&mut self, target: u16, repeat: i32) -> bool {
        let at = self.current;
        let made = self.jumps.get(&at).copied().unwrap_or(0);
        let valid = target >= 1 && (target as usize) < self.items.len() && target != at;
        if valid && (repeat < 0 || made < repeat as u32) {
            self.jumps.insert(at, made + 1);
            self.current = target;
            self.started = false;
            true
        } else {
            self.advance();
            false
        }
    }

    /// Marks the current item done and moves on; returns the finished item's seq.
    pub fn advance(&mut self) -> u16 {
        let done = self.current;
        if (done as usize) + 1 >= self.items.len() {
            self.complete = true;
        } else {
            self.current = done + 1;
        }
        self.started = false;
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qly_core::geodesy::GeoPoint;
    use qly_core::mission::{frame, Altitude, MissionItem};

    fn ctx_frame() -> LocalFrame {
        LocalFrame::new(GeoPosition::new(27.0, 106.9, 1000.0))
    }

    #[test]
    fn waypoint_in_each_altitude_frame() {
        let f = ctx_frame();
        let ctx = ItemContext {
            frame: &f,
            home_amsl_m: 1000.0,
            here: Enu::new(5.0, 6.0, 7.0),
        };
        let p = GeoPoint {
            lat_deg: 27.001,
            lon_deg: 106.9,
        };
        let mut raw = MissionItem::Waypoint {
            point: p,
            alt: Altitude::relative_home(50.0),
            hold_s: 0.0,
        }
        .to_raw();
        let ItemAction::Waypoint {
            target, radius_m, ..
        } = interpret(&raw, &ctx)
        else {
            panic!("not a waypoint")
        };
        assert!((target.n_m - 110.7).abs() < 0.5, "{target:?}");
        assert!(target.e_m.abs() < 1e-6);
        assert_eq!(target.u_m, 50.0);
        assert_eq!(radius_m, DEFAULT_WP_RADIUS_M);

        raw.frame = frame::GLOBAL;
        raw.alt_m = 1080.0;
        raw.params[1] = 5.0;
        let ItemAction::Waypoint {
            target, radius_m, ..
        } = interpret(&raw, &ctx)
        else {
            panic!("not a waypoint")
        };
        assert_eq!(target.u_m, 80.0);
        assert_eq!(radius_m, 5.0);

        raw.frame = frame::MISSION;
        assert!(matches!(
            interpret(&raw, &ctx),
            ItemAction::UnsupportedFrame { .. }
        ));

        // 0/0 = here.
        raw.frame = frame::GLOBAL_RELATIVE_ALT;
        raw.lat_deg = 0.0;
        raw.lon_deg = 0.0;
        let ItemAction::Waypoint { target, .. } = interpret(&raw, &ctx) else {
            panic!("not a waypoint")
        };
        assert_eq!((target.e_m, target.n_m), (5.0, 6.0));
    }

    #[test]
    fn do_items_and_unknown_commands() {
        let f = ctx_frame();
        let ctx = ItemContext {
            frame: &f,
            home_amsl_m: 1000.0,
            here: Enu::default(),
        };
        let cam = MissionItem::CamTriggerDistance {
            distance_m: 12.5,
            trigger_once: true,
        }
        .to_raw();
        assert_eq!(
            interpret(&cam, &ctx),
            ItemAction::CamTriggerDistance {
                distance_m: 12.5,
                trigger_once: true
            }
        );
        let speed = MissionItem::ChangeSpeed { speed_m_s: 6.0 }.to_raw();
        assert_eq!(
            interpret(&speed, &ctx),
            ItemAction::ChangeSpeed {
                speed_m_s: Some(6.0)
            }
        );
        let mut other = speed;
        other.command = 31000;
        assert_eq!(
            interpret(&other, &ctx),
            ItemAction::Unsupported { command: 31000 }
        );
        assert!(!interpret(&speed, &ctx).is_nav());
        assert!(interpret(&MissionItem::ReturnToLaunch.to_raw(), &ctx).is_nav());
    }

    #[test]
    fn loiter_jump_and_single_photo_items() {
        let f = ctx_frame();
        let ctx = ItemContext {
            frame: &f,
            home_amsl_m: 1000.0,
            here: Enu::new(1.0, 2.0, 3.0),
        };
        let base = RawItem {
            frame: frame::GLOBAL_RELATIVE_ALT,
            command: cmd::NAV_LOITER_TIME,
            params: [30.0, 0.0, 0.0, 0.0],
            lat_deg: 0.0,
            lon_deg: 0.0,
            alt_m: 40.0,
            autocontinue: true,
        };
        assert_eq!(
            interpret(&base, &ctx),
            ItemAction::Waypoint {
                target: Enu::new(1.0, 2.0, 40.0),
                radius_m: DEFAULT_WP_RADIUS_M,
                hold_s: 30.0
            }
        );
        let jump = RawItem {
            command: cmd::DO_JUMP,
            frame: frame::MISSION,
            params: [2.0, 3.0, 0.0, 0.0],
            ..base
        };
        assert_eq!(
            interpret(&jump, &ctx),
            ItemAction::Jump {
                target: 2,
                repeat: 3
            }
        );
        let one = RawItem {
            command: cmd::IMAGE_START_CAPTURE,
            frame: frame::MISSION,
            params: [0.0, 0.0, 1.0, 0.0],
            ..base
        };
        assert_eq!(interpret(&one, &ctx), ItemAction::PhotoNow);
        let many = RawItem {
            params: [0.0, 2.0, 10.0, 0.0],
            ..one
        };
        assert!(matches!(
            interpret(&many, &ctx),
            ItemAction::Unsupported { command: 2000 }
        ));
        let shoot = RawItem {
            command: DO_DIGICAM_CONTROL,
            params: [0.0; 4],
            lat_deg: 1e-7,
            ..one
        };
        assert_eq!(interpret(&shoot, &ctx), ItemAction::PhotoNow);
    }

    #[test]
    fn cursor_walks_items_and_completes() {
        let home = MissionItem::ReturnToLaunch.to_raw();
        let mut c = MissionCursor::default();
        c.replace(vec![home; 3]);
        assert_eq!(c.current_item(), None);
        c.start_or_resume();
        assert_eq!(c.current, 1);
        assert_eq!(c.advance(), 1);
        assert_eq!(c.current, 2);
        assert_eq!(c.advance(), 2);
        assert!(c.complete);
        assert_eq!(c.current_item(), None);
        c.start_or_resume();
        assert_eq!(c.current, 1);
        // A jump from item 2 back to 1, twice, then on.
        c.advance();
        assert!(c.jump(1, 2));
        assert_eq!(c.current, 1);
        c.advance();
        assert!(c.jump(1, 2));
        c.advance();
        assert!(!c.jump(1, 2));
        assert!(c.complete);
        c.start_or_resume();
        assert!(!c.set_current(3));
        assert!(!c.set_current(0));
        assert!(c.set_current(2));
    }
}
