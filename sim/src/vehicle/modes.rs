//! ArduCopter flight modes and their `custom_mode` numbers.

use std::fmt;

/// The ArduCopter modes the simulator flies. The discriminant is the `custom_mode` number
/// ArduCopter puts in HEARTBEAT and accepts in SET_MODE / DO_SET_MODE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlightMode {
    /// Manual flight. With no pilot sticks in a simulation it holds position in the air
    /// (as if the sticks were centred) and stays put on the ground.
    Stabilize = 0,
    /// Flies the stored mission.
    Auto = 3,
    /// Flies to positions and heights commanded by a ground station (NAV_TAKEOFF etc).
    Guided = 4,
    /// Holds position.
    Loiter = 5,
    /// Climbs to the return height, flies home and lands.
    Rtl = 6,
    /// Lands where it is.
    Land = 9,
}

impl FlightMode {
    pub const ALL: [FlightMode; 6] = [
        FlightMode::Stabilize,
        FlightMode::Auto,
        FlightMode::Guided,
        FlightMode::Loiter,
        FlightMode::Rtl,
        FlightMode::Land,
    ];

    pub fn custom_mode(self) -> u32 {
        self as u32
    }

    /// The mode for a `custom_mode` number; `None` for modes this simulator does not fly.
    pub fn from_custom_mode(n: u32) -> Option<FlightMode> {
        FlightMode::ALL.into_iter().find(|m| m.custom_mode() == n)
    }

    /// The mode's name as ArduCopter and ground stations print it.
    pub fn name(self) -> &'static str {
        match self {
            FlightMode::Stabilize => "STABILIZE",
            FlightMode::Auto => "AUTO",
            FlightMode::Guided => "GUIDED",
            FlightMode::Loiter => "LOITER",
            FlightMode::Rtl => "RTL",
            FlightMode::Land => "LAND",
        }
    }

    /// Whether the motors may be armed in this mode (ArduCopter refuses in the autonomous
    /// return/land modes and, with default AUTO_OPTIONS, in AUTO).
    pub fn allows_arming(self) -> bool {
        matches!(
            self,
            FlightMode::Stabilize | FlightMode::Guided | FlightMode::Loiter
        )
    }

    /// Whether the mode needs a position estimate to be entered.
    pub fn requires_position(self) -> bool {
        !matches!(self, FlightMode::Stabilize)
    }
}

impl fmt::Display for FlightMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_mode_numbers_are_arducopters() {
        assert_eq!(FlightMode::Stabilize.custom_mode(), 0);
        assert_eq!(FlightMode::Auto.custom_mode(), 3);
        assert_eq!(FlightMode::Guided.custom_mode(), 4);
        assert_eq!(FlightMode::Loiter.custom_mode(), 5);
        assert_eq!(FlightMode::Rtl.custom_mode(), 6);
        assert_eq!(FlightMode::Land.custom_mode(), 9);
        for m in FlightMode::ALL {
            assert_eq!(FlightMode::from_custom_mode(m.custom_mode()), Some(m));
        }
        assert_eq!(FlightMode::from_custom_mode(2), None); // ALT_HOLD: not simulated
    }
}
