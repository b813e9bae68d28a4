//! Battery: a fixed capacity drained by the electrical power the vehicle needs.
//!
//! Power is hover power plus a term growing with the square of horizontal speed (induced and
//! parasitic drag in cruise) plus a term for climbing (potential energy at motor efficiency);
//! current follows from power and the terminal voltage, which sags linearly with the state of
//! charge and with internal resistance. Enough for SYS_STATUS to look and trend like a LiPo.

/// Battery and power-model settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatteryConfig {
    pub capacity_mah: f64,
    /// Open-circuit voltage when full and when empty, volts.
    pub voltage_full_v: f64,
    pub voltage_empty_v: f64,
    pub internal_resistance_ohm: f64,
    /// Electrical power to hover, watts.
    pub hover_power_w: f64,
    /// Extra power per (m/s)^2 of horizontal speed, W s^2/m^2.
    pub speed_power_w_per_m2s2: f64,
    /// Extra power per m/s of climb, W s/m.
    pub climb_power_w_per_m_s: f64,
    /// Power with motors disarmed (avionics), watts.
    pub idle_power_w: f64,
}

impl Default for BatteryConfig {
    /// A 4S 10 Ah pack on a ~2.5 kg survey quad.
    fn default() -> Self {
        BatteryConfig {
            capacity_mah: 10_000.0,
            voltage_full_v: 16.8,
            voltage_empty_v: 13.2,
            internal_resistance_ohm: 0.015,
            hover_power_w: 380.0,
            speed_power_w_per_m2s2: 1.2,
            climb_power_w_per_m_s: 60.0,
            idle_power_w: 4.0,
        }
    }
}

/// The battery's state.
#[derive(Debug, Clone, PartialEq)]
pub struct Battery {
    config: BatteryConfig,
    consumed_mah: f64,
    current_a: f64,
}

impl Battery {
    pub fn new(config: BatteryConfig) -> Self {
        Battery {
            config,
            consumed_mah: 0.0,
            current_a: 0.0,
        }
    }

    /// Electrical power for the given flight state, watts.
    pub fn power_w(&self, motors_running: bool, speed_h_m_s: f64, climb_m_s: f64) -> f64 {
        let c = &self.config;
        if !motors_running {
            return c.idle_power_w;
        }
        c.idle_power_w
            + c.hover_power_w
            + c.speed_power_w_per_m2s2 * speed_h_m_s * speed_h_m_s
            + c.climb_power_w_per_m_s * climb_m_s.max(0.0)
    }

    /// Drains the battery for `dt_s` at the given flight state.
    pub fn step(&mut self, dt_s: f64, motors_running: bool, speed_h_m_s: f64, climb_m_s: f64) {
        let p = self.power_w(motors_running, speed_h_m_s, climb_m_s);
        // Terminal voltage depends on current: solve V = Voc - I R with I = P / V.
        let voc = self.open_circuit_v();
        let r = self.config.internal_resistance_ohm;
        let disc = voc * voc - 4.0 * r * p;
        let v = if disc > 0.0 {
            0.5 * (voc + disc.sqrt())
        } else {
            0.5 * voc
        };
        self.current_a = p / v;
        self.consumed_mah += self.current_a * dt_s / 3.6;
    }

    fn state_of_charge(&self) -> f64 {
        (1.0 - self.consumed_mah / self.config.capacity_mah).clamp(0.0, 1.0)
    }

    fn open_circuit_v(&self) -> f64 {
        let c = &self.config;
        c.voltage_empty_v + (c.voltage_full_v - c.voltage_empty_v) * self.state_of_charge()
    }

    /// Terminal voltage under the present load, volts.
    pub fn voltage_v(&self) -> f64 {
        self.open_circuit_v() - self.current_a * self.config.internal_resistance_ohm
    }

    pub fn current_a(&self) -> f64 {
        self.current_a
    }

    pub fn consumed_mah(&self) -> f64 {
        self.consumed_mah
    }

    /// Remaining capacity, percent (SYS_STATUS.battery_remaining).
    pub fn remaining_pct(&self) -> u8 {
        (self.state_of_charge() * 100.0).round() as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn hover_drains_at_power_over_voltage() {
        let cfg = BatteryConfig::default();
        let mut b = Battery::new(cfg);
        for _ in 0..600 {
            b.step(1.0, true, 0.0, 0.0);
        }
        // ~384 W at ~16 V -> ~24 A -> ~4 Ah in 10 minutes.
        let v = b.voltage_v();
        assert!(v < 16.8 && v > 13.2, "voltage {v}");
        assert_abs_diff_eq!(b.current_a() * v, 384.0, epsilon = 0.5);
        assert!(b.consumed_mah() > 3500.0 && b.consumed_mah() < 4500.0);
        assert!(b.remaining_pct() < 65 && b.remaining_pct() > 55);
    }

    #[test]
    fn cruise_costs_more_than_hover_and_disarmed_costs_little() {
        let cfg = BatteryConfig::default();
        let b = Battery::new(cfg);
        assert!(b.power_w(true, 10.0, 0.0) > b.power_w(true, 0.0, 0.0) + 100.0);
        assert!(b.power_w(true, 0.0, 2.0) > b.power_w(true, 0.0, 0.0));
        assert!(b.power_w(false, 0.0, 0.0) < 10.0);
    }

    #[test]
    fn full_battery_reports_full() {
        let b = Battery::new(BatteryConfig::default());
        assert_eq!(b.remaining_pct(), 100);
        assert_abs_diff_eq!(b.voltage_v(), 16.8, epsilon = 1e-9);
    }
}
