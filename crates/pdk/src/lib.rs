//! What a payrules plugin author imports.
//!
//! A payer policy is a type that implements [`PayerPolicy`], plus one call to
//! [`export_policy!`]. The generated WIT bindings stay inside this crate: a
//! plugin works with the billing model's types only.
//!
//! ```
//! use std::collections::BTreeMap;
//!
//! use payrules_pdk::pipeline::{self, Stage, Step};
//! use payrules_pdk::{
//!     Applicability, Claim, ConfigError, Denials, EvaluationError, FixAction, Outcome, PayerPolicy, PluginInfo,
//!     ReferenceData, Rule, Severity, export_policy,
//! };
//! use serde::Deserialize;
//!
//! /// Each rule is declared once: the plugin's description, its findings
//! /// and its configurable denials all come from here.
//! const UNITS_PER_VISIT: Rule =
//!     Rule::new("ACME-UNITS-PER-VISIT", Severity::Error, "More units than the visit cap", "Acme provider manual 4.2")
//!         .denies("CO-119");
//!
//! #[derive(Deserialize)]
//! #[serde(deny_unknown_fields)]
//! pub struct Config {
//!     units_per_visit: u32,
//!     #[serde(default)]
//!     denials: BTreeMap<String, String>,
//! }
//!
//! pub struct Acme {
//!     units_per_visit: u32,
//!     denials: Denials,
//! }
//!
//! /// The policy's steps, in stage order: here one payer-specific cap. A
//! /// real policy adds the PDK's shared steps (units, NCCI, pricing, cost
//! /// sharing) in their stages.
//! const STEPS: &[Step<Acme>] = &[Step::new(Stage::Caps, "units per visit", |acme, ev| {
//!     let billed: u32 = ev.claim.lines.iter().map(|l| l.units).sum();
//!     if let Some(last) = ev.claim.lines.last()
//!         && billed > acme.units_per_visit
//!     {
//!         let keep = last.units.saturating_sub(billed - acme.units_per_visit);
//!         ev.findings.push(
//!             UNITS_PER_VISIT
//!                 .finding(Some(last.number), "over the visit cap")
//!                 .with_fact("units billed", billed)
//!                 .with_denial(acme.denials.of(&UNITS_PER_VISIT))
//!                 .with_fix(last.number, FixAction::SetUnits(keep), Applicability::NeedsReview),
//!         );
//!     }
//!     Ok(())
//! })];
//!
//! impl PayerPolicy for Acme {
//!     type Config = Config;
//!
//!     fn describe() -> PluginInfo {
//!         payrules_pdk::plugin_info("acme", env!("CARGO_PKG_VERSION"), &[UNITS_PER_VISIT])
//!     }
//!
//!     fn configure(config: Config) -> Result<Self, ConfigError> {
//!         if config.units_per_visit == 0 {
//!             return Err(ConfigError::new("units_per_visit", "must be at least 1"));
//!         }
//!         let denials = Denials::configure(&[UNITS_PER_VISIT], &config.denials)?;
//!         Ok(Acme { units_per_visit: config.units_per_visit, denials })
//!     }
//!
//!     fn evaluate(&self, claim: &Claim, data: &dyn ReferenceData) -> Result<Outcome, EvaluationError> {
//!         pipeline::run(self, STEPS, claim, data)
//!     }
//! }
//!
//! export_policy!(Acme);
//! # fn main() {
//! # let config: Config = payrules_pdk::read_config(r#"{ "units_per_visit": 4 }"#).unwrap();
//! # let acme = Acme::configure(config).unwrap();
//! # assert_eq!(Acme::describe().rules.len(), 1);
//! # let _ = acme;
//! # }
//! ```
//!
//! The same crate also builds natively (as an `rlib`), where the macro exports
//! nothing; that is how a policy is benchmarked against its sandboxed build.

pub use payrules_model as model;
pub use payrules_model::{
    AddedLine, AdjustmentGroup, Applicability, CONTRACT_VERSION, Claim, ConfigError, DataUnavailable, Date, Denial,
    EvaluationError, Finding, FixAction, LineResult, LineStatus, ModifierIndicator, Money, MueAdjudication, MueLimit,
    NoReferenceData, Outcome, PluginInfo, PriceStep, PtpEdit, ReferenceData, RuleInfo, ServiceLine, Severity,
};
pub use payrules_model::{GeographicIndices, RelativeValues};
pub use rule::{Denials, Rule, plugin_info};

pub mod amounts;
#[cfg(target_arch = "wasm32")]
mod arena;
mod contract;
pub mod ncci;
pub mod pipeline;
pub mod rule;
pub mod rvu_pricing;
pub mod timed_units;
pub mod work;

/// A payer's billing policy.
///
/// The host creates one instance per configuration and may evaluate many
/// claims with it, so `evaluate` must not depend on earlier calls: it takes
/// `&self`, and a policy keeps no state between claims.
pub trait PayerPolicy: Sized + 'static {
    /// The payer configuration from the rule set, read from JSON.
    type Config: serde::de::DeserializeOwned;

    /// Names the plugin and lists every rule it can fire.
    fn describe() -> PluginInfo;

    /// Checks the configuration once, when the rule set loads.
    fn configure(config: Self::Config) -> Result<Self, ConfigError>;

    /// Checks one claim. A deny or a warning is a finding in the outcome;
    /// an error means the policy could not decide at all. `data` answers
    /// lookups into the reference tables the rule set grants this payer.
    fn evaluate(&self, claim: &Claim, data: &dyn ReferenceData) -> Result<Outcome, EvaluationError>;

    /// The GPCI locality the policy prices with, if it prices from relative
    /// values. Sandboxed, the PDK then asks the host for the locality's
    /// indices in the same call as the date's other reference data.
    fn reference_locality(&self) -> Option<&str> {
        None
    }
}

/// Reads a configuration from JSON, naming the offending key on failure.
pub fn read_config<C: serde::de::DeserializeOwned>(json: &str) -> Result<C, ConfigError> {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let field = error.path().to_string();
        ConfigError::new(if field == "." { String::new() } else { field }, error.into_inner().to_string())
    })
}

/// Configures a policy from JSON text: what the host's `configure` call does.
pub fn configure_from_json<P: PayerPolicy>(json: &str) -> Result<P, ConfigError> {
    P::configure(read_config(json)?)
}

#[doc(hidden)]
pub mod __bindings {
    wit_bindgen::generate!({
        path: "../../wit/since_v0.5.0",
        world: "payer-policy",
        pub_export_macro: true,
        export_macro_name: "__export_payer_policy",
        default_bindings_module: "::payrules_pdk::__bindings",
    });
}

#[doc(hidden)]
pub mod __private {
    use std::any::Any;
    use std::cell::RefCell;
    use std::marker::PhantomData;

    use crate::__bindings::exports::payrules::policy::policy::Guest;
    use crate::__bindings::payrules::policy::types as t;
    use crate::{Claim, EvaluationError, PayerPolicy};
    #[cfg(target_arch = "wasm32")]
    use crate::{DataUnavailable, Date, GeographicIndices, MueLimit, PtpEdit, ReferenceData, RelativeValues};

    /// Lookups answered by the host through the contract's `reference-data`
    /// import, for one claim. The first lookup about a date asks the host
    /// once for everything its code tables say about the codes billed that
    /// date; later lookups about the date are answered from that, keeping
    /// the rows about the codes asked for.
    #[cfg(target_arch = "wasm32")]
    struct HostReferenceData<'p> {
        /// The locality whose indices come with each date's answer.
        locality: Option<&'p str>,
        days: RefCell<Vec<(Date, DayRows)>>,
    }

    /// One date's answer from the host, in the model's types.
    #[cfg(target_arch = "wasm32")]
    struct DayRows {
        ptp_edits: Result<Vec<PtpEdit>, DataUnavailable>,
        mue_limits: Result<Vec<MueLimit>, DataUnavailable>,
        relative_values: Result<Vec<RelativeValues>, DataUnavailable>,
        /// The indices of the policy's locality, when it has one.
        geographic_indices: Option<Result<Option<GeographicIndices>, DataUnavailable>>,
    }

    #[cfg(target_arch = "wasm32")]
    impl HostReferenceData<'_> {
        fn with_day<R>(&self, date: Date, answer: impl FnOnce(&DayRows) -> R) -> R {
            use crate::__bindings::payrules::policy::reference_data as r;
            let mut days = self.days.borrow_mut();
            let index = match days.iter().position(|(on, _)| *on == date) {
                Some(index) => index,
                None => {
                    let asked = r::CodeTables::PTP_EDITS | r::CodeTables::MUE_LIMITS | r::CodeTables::RELATIVE_VALUES;
                    let day = r::day_reference(crate::contract::date_out(date), asked, self.locality);
                    // A table asked about is always answered; `None` would be a host that broke the contract.
                    let rows = DayRows {
                        ptp_edits: day
                            .ptp_edits
                            .unwrap_or(Err(r::DataError::NotGranted))
                            .map_err(DataUnavailable::from)
                            .and_then(|edits| edits.into_iter().map(PtpEdit::try_from).collect()),
                        mue_limits: day
                            .mue_limits
                            .unwrap_or(Err(r::DataError::NotGranted))
                            .map(|limits| limits.into_iter().map(MueLimit::from).collect())
                            .map_err(DataUnavailable::from),
                        relative_values: day
                            .relative_values
                            .unwrap_or(Err(r::DataError::NotGranted))
                            .map(|values| values.into_iter().map(RelativeValues::from).collect())
                            .map_err(DataUnavailable::from),
                        geographic_indices: day.geographic_indices.map(|answer| {
                            answer.map(|i| i.map(GeographicIndices::from)).map_err(DataUnavailable::from)
                        }),
                    };
                    days.push((date, rows));
                    days.len() - 1
                }
            };
            match days.get(index) {
                Some((_, rows)) => answer(rows),
                None => answer(&DayRows {
                    ptp_edits: Err(DataUnavailable::NoDataForDate),
                    mue_limits: Err(DataUnavailable::NoDataForDate),
                    relative_values: Err(DataUnavailable::NoDataForDate),
                    geographic_indices: None,
                }),
            }
        }
    }

    #[cfg(target_arch = "wasm32")]
    impl ReferenceData for HostReferenceData<'_> {
        fn ptp_edits(&self, codes: &[&str], date: Date) -> Result<Vec<PtpEdit>, DataUnavailable> {
            let asked = |code: &str| codes.contains(&code);
            self.with_day(date, |day| {
                let edits = day.ptp_edits.as_ref().map_err(|e| *e)?;
                Ok(edits
                    .iter()
                    .filter(|e| e.column_one != e.column_two && asked(&e.column_one) && asked(&e.column_two))
                    .cloned()
                    .collect())
            })
        }

        fn mue_limits(&self, codes: &[&str], date: Date) -> Result<Vec<MueLimit>, DataUnavailable> {
            self.with_day(date, |day| {
                let limits = day.mue_limits.as_ref().map_err(|e| *e)?;
                Ok(limits.iter().filter(|l| codes.contains(&l.code.as_str())).cloned().collect())
            })
        }

        fn relative_values(&self, codes: &[&str], date: Date) -> Result<Vec<RelativeValues>, DataUnavailable> {
            self.with_day(date, |day| {
                let values = day.relative_values.as_ref().map_err(|e| *e)?;
                Ok(values.iter().filter(|v| codes.contains(&v.code.as_str())).cloned().collect())
            })
        }

        fn geographic_indices(&self, locality: &str, date: Date) -> Result<Option<GeographicIndices>, DataUnavailable> {
            use crate::__bindings::payrules::policy::reference_data as r;
            if self.locality == Some(locality)
                && let Some(answer) = self.with_day(date, |day| day.geographic_indices.clone())
            {
                return answer;
            }
            Ok(r::geographic_indices_for(locality, crate::contract::date_out(date))?.map(GeographicIndices::from))
        }
    }

    /// Connects a [`PayerPolicy`] to the generated export trait.
    pub struct Adapter<P>(PhantomData<P>);

    thread_local! {
        // The configured policy of this instance; type-erased so one slot
        // serves whichever policy the plugin exports.
        static CONFIGURED: RefCell<Option<Box<dyn Any>>> = const { RefCell::new(None) };
    }

    /// Sends a panic's message to the host before the plugin traps, so the
    /// claim's failure says what went wrong rather than "unreachable". Panics
    /// abort in a plugin, so this is the only way the message gets out.
    fn report_panics() {
        #[cfg(target_arch = "wasm32")]
        {
            static INSTALLED: std::sync::Once = std::sync::Once::new();
            INSTALLED.call_once(|| {
                std::panic::set_hook(Box::new(|info| {
                    crate::__bindings::payrules::policy::diagnostics::panicked(&info.to_string());
                }));
            });
        }
    }

    impl<P: PayerPolicy> Guest for Adapter<P> {
        fn describe() -> t::PluginInfo {
            report_panics();
            P::describe().into()
        }

        fn configure(config: String) -> Result<(), t::ConfigError> {
            report_panics();
            let policy = crate::configure_from_json::<P>(&config)?;
            CONFIGURED.with_borrow_mut(|slot| *slot = Some(Box::new(policy)));
            // What exists now is the configured policy; all later
            // allocations are per claim, and the arena reuses their memory.
            #[cfg(target_arch = "wasm32")]
            crate::arena::mark_configured();
            Ok(())
        }

        fn evaluate(claim: t::Claim) -> Result<t::Outcome, t::EvaluationError> {
            report_panics();
            let claim = Claim::try_from(claim).map_err(|e| EvaluationError {
                message: format!("the host sent a claim this plugin cannot read: {e}"),
            })?;
            CONFIGURED.with_borrow(|slot| {
                let policy = slot.as_ref().and_then(|p| p.downcast_ref::<P>()).ok_or_else(|| EvaluationError {
                    message: "the plugin was asked to evaluate before it was configured".to_owned(),
                })?;
                #[cfg(target_arch = "wasm32")]
                let data = HostReferenceData { locality: policy.reference_locality(), days: RefCell::default() };
                // A native build has no host to ask.
                #[cfg(not(target_arch = "wasm32"))]
                let data = crate::NoReferenceData;
                policy.evaluate(&claim, &data).map(Into::into).map_err(Into::into)
            })
        }
    }
}

/// Exports a [`PayerPolicy`] as the plugin's implementation of the contract.
///
/// On wasm32 this emits the component exports; on other targets it emits
/// nothing, so the policy crate also builds as a native library.
#[macro_export]
macro_rules! export_policy {
    ($policy:ty) => {
        #[cfg(target_arch = "wasm32")]
        #[doc(hidden)]
        type __PayrulesExportedPolicy = $crate::__private::Adapter<$policy>;
        #[cfg(target_arch = "wasm32")]
        $crate::__bindings::__export_payer_policy!(__PayrulesExportedPolicy with_types_in $crate::__bindings);
    };
}
