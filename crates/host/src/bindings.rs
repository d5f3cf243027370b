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

/// `payrules:policy@0.2.0`: released; adds reference data and the add-line fix.
pub mod v0_2_0 {
    wasmtime::component::bindgen!({
        path: "../../wit/since_v0.2.0",
        world: "payer-policy",
    });

    use payrules_model::ReferenceData as _;

    use self::payrules::policy::reference_data as r;
    use self::payrules::policy::types as t;
    use crate::sandbox::SandboxState;

    /// The version as it appears in the component's export names.
    pub const VERSION: &str = "0.2.0";

    payrules_model::__contract_conversions!([self::payrules::policy::types] fix_in {
        t::FixAction::AddLine(a) => m::FixAction::AddLine(m::AddedLine {
            procedure: a.procedure,
            modifiers: a.modifiers,
            units: a.units,
        }),
    });
    payrules_model::__reference_conversions!([self::payrules::policy::reference_data][self::payrules::policy::types]);

    impl t::Host for SandboxState {}

    fn date(d: t::Date) -> Result<payrules_model::Date, r::DataError> {
        payrules_model::Date::new(d.year, d.month, d.day).map_err(|_| r::DataError::NoDataForDate)
    }

    impl r::Host for SandboxState {
        fn ptp_edits(&mut self, codes: Vec<String>, on: t::Date) -> Result<Vec<r::PtpEdit>, r::DataError> {
            let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
            let edits = self.data.ptp_edits(&codes, date(on)?)?;
            Ok(edits.into_iter().map(r::PtpEdit::from).collect())
        }

        fn mue_limits(&mut self, codes: Vec<String>, on: t::Date) -> Result<Vec<r::MueLimit>, r::DataError> {
            let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
            let limits = self.data.mue_limits(&codes, date(on)?)?;
            Ok(limits.into_iter().map(r::MueLimit::from).collect())
        }

        fn relative_values_for(
            &mut self,
            codes: Vec<String>,
            on: t::Date,
        ) -> Result<Vec<r::RelativeValues>, r::DataError> {
            let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
            let values = self.data.relative_values(&codes, date(on)?)?;
            Ok(values.into_iter().map(r::RelativeValues::from).collect())
        }

        fn geographic_indices_for(
            &mut self,
            locality: String,
            on: t::Date,
        ) -> Result<Option<r::GeographicIndices>, r::DataError> {
            Ok(self.data.geographic_indices(&locality, date(on)?)?.map(r::GeographicIndices::from))
        }
    }
}

/// Contract versions this host can run.
pub const SUPPORTED_VERSIONS: &[&str] = &[v0_1_0::VERSION, v0_2_0::VERSION];
