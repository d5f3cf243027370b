//! Host-side bindings of the plugin contract, one module per supported version.
//!
//! Each module runs `bindgen!` over its own frozen `wit/since_vX.Y.Z` folder
//! and converts to the one billing model, so the host serves plugins built
//! against any supported version side by side.

/// `payrules:policy@0.1.0`: released.
pub mod v0_1_0 {
    wasmtime::component::bindgen!({
        path: "../../wit/since_v0.1.0",
        world: "payer-policy",
    });

    /// The version as it appears in the component's export names.
    pub const VERSION: &str = "0.1.0";

    payrules_model::__contract_conversions!([self::payrules::policy::types] fix_in {});
}

/// What every version with `reference-data` shares (0.2.0 on): the model
/// conversions, the add-line fix, and the host side of the lookups. Each
/// lookup is checked against the claim under evaluation and charged fuel for
/// its work, and a lookup outside it traps the plugin.
macro_rules! reference_data_host {
    () => {
        payrules_model::__contract_conversions!([self::payrules::policy::types] fix_in {
            t::FixAction::AddLine(a) => m::FixAction::AddLine(m::AddedLine {
                procedure: a.procedure,
                modifiers: a.modifiers,
                units: a.units,
            }),
        });
        payrules_model::__reference_conversions!(
            [self::payrules::policy::reference_data][self::payrules::policy::types]
        );

        impl t::Host for SandboxState {}

        fn date(d: t::Date) -> Option<payrules_model::Date> {
            payrules_model::Date::new(d.year, d.month, d.day).ok()
        }

        /// A lookup's answer for the plugin, or the trap that stops it.
        type Lookup<T> = wasmtime::Result<Result<T, r::DataError>>;

        impl r::Host for SandboxState {
            fn ptp_edits(&mut self, codes: Vec<String>, on: t::Date) -> Lookup<Vec<r::PtpEdit>> {
                let date = self.check_lookup("NCCI edits", &codes, date(on))?;
                let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
                let answer = self.data.ptp_edits(&codes, date);
                self.charge(codes.len() + answer.as_ref().map_or(0, Vec::len));
                Ok(answer.map(|edits| edits.into_iter().map(r::PtpEdit::from).collect()).map_err(r::DataError::from))
            }

            fn mue_limits(&mut self, codes: Vec<String>, on: t::Date) -> Lookup<Vec<r::MueLimit>> {
                let date = self.check_lookup("MUEs", &codes, date(on))?;
                let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
                let answer = self.data.mue_limits(&codes, date);
                self.charge(codes.len() + answer.as_ref().map_or(0, Vec::len));
                Ok(answer.map(|limits| limits.into_iter().map(r::MueLimit::from).collect()).map_err(r::DataError::from))
            }

            fn relative_values_for(&mut self, codes: Vec<String>, on: t::Date) -> Lookup<Vec<r::RelativeValues>> {
                let date = self.check_lookup("relative values", &codes, date(on))?;
                let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
                let answer = self.data.relative_values(&codes, date);
                self.charge(codes.len() + answer.as_ref().map_or(0, Vec::len));
                Ok(answer
                    .map(|values| values.into_iter().map(r::RelativeValues::from).collect())
                    .map_err(r::DataError::from))
            }

            fn geographic_indices_for(
                &mut self,
                locality: String,
                on: t::Date,
            ) -> Lookup<Option<r::GeographicIndices>> {
                if locality.len() > crate::sandbox::MAX_LOCALITY_BYTES {
                    return Err(
                        self.refuse("geographic indices", format!("with a locality name of {} bytes", locality.len()))
                    );
                }
                let date = self.check_lookup("geographic indices", &[], date(on))?;
                self.charge(1);
                Ok(self
                    .data
                    .geographic_indices(&locality, date)
                    .map(|i| i.map(r::GeographicIndices::from))
                    .map_err(r::DataError::from))
            }
        }
    };
}

/// `payrules:policy@0.2.0`: released; adds reference data and the add-line fix.
pub mod v0_2_0 {
    wasmtime::component::bindgen!({
        path: "../../wit/since_v0.2.0",
        world: "payer-policy",
        // A lookup outside the claim under evaluation traps the plugin.
        imports: { default: trappable },
    });

    use payrules_model::ReferenceData as _;

    use self::payrules::policy::reference_data as r;
    use self::payrules::policy::types as t;
    use crate::sandbox::SandboxState;

    /// The version as it appears in the component's export names.
    pub const VERSION: &str = "0.2.0";

    reference_data_host!();
}

/// `payrules:policy@0.3.0`: released; adds the diagnostics import, so a
/// plugin's panic message reaches the claim's failure.
pub mod v0_3_0 {
    wasmtime::component::bindgen!({
        path: "../../wit/since_v0.3.0",
        world: "payer-policy",
        // A lookup outside the claim under evaluation traps the plugin.
        imports: { default: trappable },
    });

    use payrules_model::ReferenceData as _;

    use self::payrules::policy::diagnostics as d;
    use self::payrules::policy::reference_data as r;
    use self::payrules::policy::types as t;
    use crate::sandbox::SandboxState;

    /// The version as it appears in the component's export names.
    pub const VERSION: &str = "0.3.0";

    reference_data_host!();

    impl d::Host for SandboxState {
        fn panicked(&mut self, message: String) -> wasmtime::Result<()> {
            self.record_panic(&message);
            Ok(())
        }
    }
}

/// Contract versions this host can run.
pub const SUPPORTED_VERSIONS: &[&str] = &[v0_1_0::VERSION, v0_2_0::VERSION, v0_3_0::VERSION];
