//! Expected allowed amount and payment: the payer's rate (its own fee
//! schedule, or a percentage of Medicare's), the assistant reduction where
//! configured, and the lesser of that and the billed charge unless the
//! payer's contract says otherwise. Coinsurance is the policy's cost-sharing step.

use payrules_pdk::amounts::{self, LineAmounts, Unpriced};
use payrules_pdk::pipeline::Evaluation;
use payrules_pdk::rvu_pricing::{BaseAmount, rvu_amounts};
use payrules_pdk::{EvaluationError, PriceStep};

use crate::config::Settings;
use crate::rules;

/// Prices each line as submitted: the contracted rate, or a percentage of
/// Medicare's amount, then the assistant rate where configured.
pub fn price_lines(settings: &Settings, ev: &mut Evaluation<'_>) -> Result<(), EvaluationError> {
    let config = &settings.config;
    let (claim, work) = (ev.claim, &ev.work);
    let mut unpriced = Unpriced::new(rules::PRICE_MISSING);
    let bases = match &settings.medicare_pricing {
        Some((percent, pricing)) => {
            let bases = rvu_amounts(pricing, claim, ev.data, work, &mut unpriced)?;
            let mut of_medicare = Vec::with_capacity(bases.len());
            for (line, base) in claim.lines.iter().zip(bases) {
                of_medicare.push(match base {
                    None => None,
                    Some(BaseAmount { amount, mut steps }) => {
                        let description = format!("{percent}% of Medicare");
                        let amount = amounts::percent(line.number, amount, *percent, &description)?;
                        steps.push(PriceStep { description, amount });
                        Some(BaseAmount { amount, steps })
                    }
                });
            }
            of_medicare
        }
        None => {
            let mut bases = Vec::with_capacity(claim.lines.len());
            for (line, state) in claim.lines.iter().zip(work) {
                let units = state.allowed();
                let fee = config.fee_schedule.get(&line.procedure);
                bases.push(match fee {
                    _ if units == 0 => None,
                    None => {
                        unpriced.add(line.number, line.procedure.as_str(), "no contracted rate is configured");
                        None
                    }
                    Some(fee) => {
                        let description = format!("{units} x ${fee} contracted rate");
                        let amount = amounts::times(line.number, *fee, units, &description)?;
                        Some(BaseAmount { amount, steps: vec![PriceStep { description, amount }] })
                    }
                });
            }
            bases
        }
    };
    ev.findings.extend(unpriced.into_findings());
    for (((line, state), slot), base) in claim.lines.iter().zip(work).zip(&mut ev.amounts).zip(bases) {
        let Some(BaseAmount { amount, steps }) = base else { continue };
        let mut priced = LineAmounts::new(line.number, amount, steps);
        if let Some(percent) = config.assistant_payment_percent
            && (line.has_modifier("CQ") || line.has_modifier("CO"))
        {
            priced.rate(percent, format!("CQ/CO: assistant rate {percent}%"))?;
        }
        if config.lesser_of_charge {
            priced.lesser_of_charge(amounts::charge_for_units(line, state.allowed())?, "payer's rate")?;
        }
        *slot = priced;
    }
    Ok(())
}
