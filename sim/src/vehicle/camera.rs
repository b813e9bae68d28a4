//! Distance-triggered camera, as ArduPilot's AP_Camera does it.
//!
//! ArduPilot takes a photo when the horizontal distance (`Location::get_distance`) from the
//! position of the last photo reaches the trigger distance. Setting a distance forgets the
//! last photo position, and the first update after that only records where the vehicle is,
//! so the first photo of a run comes one trigger distance after the command, unless param3
//! ("trigger once") asks for one immediately. Distance 0 stops triggering.

/// Where a photo was taken, horizontally, metres east/north of home.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PlanePos {
    e_m: f64,
    n_m: f64,
}

/// The camera trigger state machine. It decides *when* a photo is taken; the vehicle fills in
/// the pose.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DistanceTrigger {
    trigger_distance_m: f64,
    last_photo: Option<PlanePos>,
    /// Index of the last image taken; the first image is 1, as ArduPilot counts.
    image_index: u32,
}

impl DistanceTrigger {
    pub fn new() -> Self {
        Self::default()
    }

    /// DO_SET_CAM_TRIGG_DIST: a new trigger distance (0 = stop). Returns the index of a photo
    /// to take now when `trigger_once` is set.
    pub fn set_distance(&mut self, distance_m: f64, trigger_once: bool) -> Option<u32> {
        self.trigger_distance_m = if distance_m.is_finite() && distance_m > 0.0 {
            distance_m
        } else {
            0.0
        };
        self.last_photo = None;
        if trigger_once {
            Some(self.next_index())
        } else {
            None
        }
    }

    /// A photo taken on command (DO_DIGICAM_CONTROL and the like).
    pub fn take_now(&mut self, e_m: f64, n_m: f64) -> u32 {
        self.last_photo = Some(PlanePos { e_m, n_m });
        self.next_index()
    }

    pub fn trigger_distance_m(&self) -> f64 {
        self.trigger_distance_m
    }

    /// Number of images taken so far (= index of the last one).
    pub fn image_count(&self) -> u32 {
        self.image_index
    }

    /// Called at each vehicle update with the vehicle's horizontal position; returns the
    /// index of a photo taken now, if one is due.
    pub fn update(&mut self, e_m: f64, n_m: f64) -> Option<u32> {
        if self.trigger_distance_m <= 0.0 {
            return None;
        }
        match self.last_photo {
            None => {
                self.last_photo = Some(PlanePos { e_m, n_m });
                None
            }
            Some(last) => {
                if (e_m - last.e_m).hypot(n_m - last.n_m) >= self.trigger_distance_m {
                    Some(self.take_now(e_m, n_m))
                } else {
                    None
                }
            }
        }
    }

    fn next_index(&mut self) -> u32 {
        self.image_index += 1;
        self.image_index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photo_every_trigger_distance_along_a_straight_line() {
        let mut cam = DistanceTrigger::new();
        assert_eq!(cam.set_distance(10.0, false), None);
        let mut shots = Vec::new();
        // 0.5 m steps along the east axis from 0 to 50 m.
        for i in 0..=100 {
            let e = i as f64 * 0.5;
            if let Some(idx) = cam.update(e, 0.0) {
                shots.push((idx, e));
            }
        }
        assert_eq!(
            shots,
            vec![(1, 10.0), (2, 20.0), (3, 30.0), (4, 40.0), (5, 50.0)]
        );
    }

    #[test]
    fn trigger_once_takes_a_photo_immediately_and_zero_stops() {
        let mut cam = DistanceTrigger::new();
        assert_eq!(cam.set_distance(5.0, true), Some(1));
        assert_eq!(cam.update(0.0, 0.0), None); // records the reference position
        assert_eq!(cam.update(3.0, 4.0), Some(2)); // 5 m away (straight line)
        assert_eq!(cam.set_distance(0.0, true), Some(3)); // last photo, then stop
        assert_eq!(cam.update(100.0, 0.0), None);
        assert_eq!(cam.update(200.0, 0.0), None);
        assert_eq!(cam.image_count(), 3);
    }

    #[test]
    fn distance_is_measured_from_the_last_photo_not_along_the_path() {
        let mut cam = DistanceTrigger::new();
        cam.set_distance(10.0, false);
        cam.update(0.0, 0.0);
        // Fly 8 m east, then 8 m back west: 16 m flown, but never 10 m from the start.
        for i in 0..=8 {
            assert_eq!(cam.update(i as f64, 0.0), None);
        }
        for i in (0..=8).rev() {
            assert_eq!(cam.update(i as f64, 0.0), None);
        }
        assert_eq!(cam.update(0.0, 10.0), Some(1));
    }
}
