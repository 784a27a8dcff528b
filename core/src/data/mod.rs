//! Customer data: the four row types ([`Account`], [`User`], [`Subscription`], [`Event`]), money,
//! and the validated, columnar [`Dataset`] they are ingested into.

mod dataset;
mod entity;
mod ingest;
mod intern;
mod props;
mod rows;
mod schema;

pub use dataset::{Dataset, MemoryUsage};
pub(crate) use entity::exact_integer;
pub use entity::{
    currency_exponent, event_name, Account, AttributeValue, Event, Money, PropertyValue, Role, Subscription, SubscriptionStatus,
    User, MAX_EXACT_INTEGER,
};
pub use ingest::{DuplicatePolicy, IngestMode, IngestOptions, IngestReport, RejectedRow};
pub use rows::RowInput;
pub use schema::{builtin_names, DataType, MetricInfo, BUILTIN_METRICS};

pub(crate) use dataset::NO_USER;
pub(crate) use ingest::{EventSource, FieldError, PropRef};
pub(crate) use props::Stored;
pub(crate) use schema::{reserved_column_names, FIXED_COLUMNS};
