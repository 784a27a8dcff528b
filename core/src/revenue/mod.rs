//! Revenue — "spend more": MRR movements per period (new, expansion, contraction, churn,
//! reactivation) that reconcile exactly, gross and net revenue retention (per period and
//! trailing), logo churn and ARPA.

mod movements;

pub use movements::{
    mrr_movements, Movement, MovementPeriod, MovementsConfig, MrrMovements, MAX_MOVEMENT_PERIODS, MOVEMENTS_VERSION,
};
