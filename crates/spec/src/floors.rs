//! The least periods and shares the simulator models. Validation rejects anything
//! below them (the file would not say what the model does), and the simulator's model
//! builder keeps to them: one definition for both.

use crate::units::{Duration, Fraction};

/// The shortest health check interval: every instance is checked at each interval, and
/// 10000 instances checked every 10 ms are already a million checks per simulated
/// second.
pub const HEALTH_CHECK_INTERVAL: Duration = Duration::from_micros(10_000);

/// The shortest time between two checks of a database's failover controller or
/// routing monitor.
pub const DATABASE_CHECK: Duration = Duration::from_micros(1_000);

/// The shortest time between two evaluations of a service's autoscaler.
pub const AUTOSCALING_EVALUATION: Duration = Duration::from_micros(100_000);

/// The shortest circuit breaker window: its calls are counted in ten sub-windows of at
/// least a microsecond each.
pub const BREAKER_WINDOW: Duration = Duration::from_micros(10);

/// The least share of its capacity a warming instance serves with, and the least
/// utilisation an autoscaler may aim at (it divides by it).
pub const SHARE: Fraction = Fraction { value: 0.01 };
