//! The demo's traffic: a fixed mix of requests, sent over real HTTP with a few in
//! flight at once, each one timed by the client.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::http;
use super::shop::{self, CheckoutRequest, QuoteRequest};

/// The customers: email addresses, which the recording layer redacts (step 3).
pub(crate) const CUSTOMERS: [&str; 5] = [
    "ada@example.com",
    "grace@example.com",
    "linus@example.com",
    "barbara@example.com",
    "ken@example.com",
];

/// One request of the plan.
#[derive(Debug, Clone)]
pub(crate) enum Call {
    Catalog,
    Product(String),
    Quote(QuoteRequest),
    Checkout(CheckoutRequest),
}

impl Call {
    /// The route, as a label for the tables.
    pub(crate) fn route(&self) -> &'static str {
        match self {
            Call::Catalog => "GET /products",
            Call::Product(_) => "GET /products/{sku}",
            Call::Quote(_) => "POST /quote",
            Call::Checkout(_) => "POST /checkout",
        }
    }
}

/// `n` requests, the same for the same seed: 12% catalog, 18% product, 35% quote,
/// 35% checkout. Some of them fail on purpose: unknown skus and currencies, zero
/// quantities, and the espresso machine, which is out of stock.
pub(crate) fn plan(n: usize, seed: u64) -> Vec<Call> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let skus: Vec<&str> = shop::skus().collect();
    let currencies: Vec<&str> = http::currencies().collect();
    let sku = |rng: &mut fastrand::Rng, unknown_one_in: u32| -> String {
        if rng.u32(0..unknown_one_in) == 0 {
            "unicorn".to_owned()
        } else {
            skus[rng.usize(..skus.len())].to_owned()
        }
    };
    let qty = |rng: &mut fastrand::Rng| {
        if rng.u32(0..20) == 0 {
            0
        } else {
            rng.u32(1..=7)
        }
    };
    (0..n)
        .map(|_| match rng.u32(0..100) {
            0..12 => Call::Catalog,
            12..30 => Call::Product(sku(&mut rng, 8)),
            30..65 => Call::Quote(QuoteRequest {
                sku: sku(&mut rng, 12),
                qty: qty(&mut rng),
                currency: if rng.u32(0..8) == 0 {
                    "XXX".to_owned()
                } else {
                    currencies[rng.usize(..currencies.len())].to_owned()
                },
            }),
            _ => Call::Checkout(CheckoutRequest {
                customer: CUSTOMERS[rng.usize(..CUSTOMERS.len())].to_owned(),
                sku: sku(&mut rng, 12),
                qty: qty(&mut rng),
            }),
        })
        .collect()
}

/// What the client saw for one request.
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    pub(crate) route: &'static str,
    pub(crate) status: u16,
    pub(crate) latency: Duration,
}

/// Sends every call of `plan` to `base_url`, `concurrency` at a time, and returns what
/// each one got, in plan order. Fails on the first transport error.
pub(crate) fn drive(
    base_url: &str,
    plan: &[Call],
    concurrency: usize,
) -> anyhow::Result<Vec<Sent>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let plan: Arc<Vec<Call>> = Arc::new(plan.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let base_url: Arc<str> = Arc::from(base_url);
    runtime.block_on(async move {
        let workers: Vec<_> = (0..concurrency.max(1))
            .map(|_| {
                let (client, plan, next, base_url) =
                    (client.clone(), plan.clone(), next.clone(), base_url.clone());
                tokio::spawn(async move {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(call) = plan.get(i) else { break };
                        done.push((i, send(&client, &base_url, call).await?));
                    }
                    anyhow::Ok(done)
                })
            })
            .collect();
        let mut sent: Vec<Option<Sent>> = vec![None; plan.len()];
        for worker in workers {
            for (i, s) in worker.await.context("a traffic worker panicked")?? {
                sent[i] = Some(s);
            }
        }
        sent.into_iter()
            .enumerate()
            .map(|(i, s)| s.with_context(|| format!("request {i} was never sent")))
            .collect()
    })
}

pub(crate) async fn send(
    client: &reqwest::Client,
    base_url: &str,
    call: &Call,
) -> anyhow::Result<Sent> {
    let request = match call {
        Call::Catalog => client.get(format!("{base_url}/products")),
        Call::Product(sku) => client.get(format!("{base_url}/products/{sku}")),
        Call::Quote(q) => client.post(format!("{base_url}/quote")).json(q),
        Call::Checkout(c) => client.post(format!("{base_url}/checkout")).json(c),
    };
    let started = Instant::now();
    let response = request
        .send()
        .await
        .with_context(|| format!("{} failed", call.route()))?;
    let status = response.status().as_u16();
    response.bytes().await?;
    Ok(Sent {
        route: call.route(),
        status,
        latency: started.elapsed(),
    })
}

/// The p50 and p99 of the latencies (nearest rank).
pub(crate) fn percentiles(sent: &[Sent]) -> (Duration, Duration) {
    let mut latencies: Vec<Duration> = sent.iter().map(|s| s.latency).collect();
    latencies.sort_unstable();
    let at = |p: f64| -> Duration {
        if latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p * latencies.len() as f64).ceil() as usize).clamp(1, latencies.len());
        latencies[rank - 1]
    };
    (at(0.50), at(0.99))
}

/// Requests by route, then by status.
pub(crate) fn by_route(sent: &[Sent]) -> BTreeMap<&'static str, BTreeMap<u16, usize>> {
    let mut table: BTreeMap<&'static str, BTreeMap<u16, usize>> = BTreeMap::new();
    for s in sent {
        *table
            .entry(s.route)
            .or_default()
            .entry(s.status)
            .or_default() += 1;
    }
    table
}
