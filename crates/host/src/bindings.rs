//! Host-side bindings of the plugin contract, one module per supported version.
//!
//! Only `payrules:policy@0.1.0` exists. A later version gets its own module
//! generated from its own frozen `wit/since_vX.Y.Z` folder, and the host keeps
//! serving plugins built against the older one.

/// `payrules:policy@0.1.0`.
pub mod v0_1_0 {
    wasmtime::component::bindgen!({
        path: "../../wit/since_v0.1.0",
        world: "payer-policy",
    });

    /// The version as it appears in the component's export names.
    pub const VERSION: &str = "0.1.0";

    payrules_model::__contract_conversions!(self::payrules::policy::types);
}

/// Contract versions this host can run.
pub const SUPPORTED_VERSIONS: &[&str] = &[v0_1_0::VERSION];
