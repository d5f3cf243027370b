//! Test plugin: exports `payrules:policy/policy@9.0.0`, a contract version the
//! host does not run. It uses wit-bindgen directly, not the PDK, because the
//! PDK only builds against released contracts. The host must refuse it at load.

#![allow(unsafe_code, missing_docs, reason = "the bindings wit-bindgen generates here export raw functions")]

#[cfg(target_arch = "wasm32")]
mod guest {
    wit_bindgen::generate!({
        inline: r#"
            package payrules:policy@9.0.0;
            interface policy {
                describe: func() -> string;
            }
            world payer-policy {
                export policy;
            }
        "#,
    });

    /// A plugin from a future contract.
    struct Future;

    impl exports::payrules::policy::policy::Guest for Future {
        fn describe() -> String {
            "future".to_owned()
        }
    }

    export!(Future);
}
