//! The shop over HTTP (axum): one route per operation, and the exchange-rate service
//! the shop depends on.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;

use super::shop::{
    CheckoutRequest, QuoteRequest, RateBody, Shop, ShopError, catalog, checkout, product, quote,
};

/// The exchange-rate service's table: units of a currency for one euro.
const RATES: [(&str, f64); 6] = [
    ("EUR", 1.0),
    ("USD", 1.0873),
    ("GBP", 0.8542),
    ("CHF", 0.9431),
    ("SEK", 11.4935),
    ("JPY", 163.27),
];

/// The shop's routes.
pub(crate) fn router(shop: Shop) -> Router {
    Router::new()
        .route("/products", get(catalog_route))
        .route("/products/{sku}", get(product_route))
        .route("/quote", post(quote_route))
        .route("/checkout", post(checkout_route))
        .with_state(Arc::new(shop))
}

async fn catalog_route(State(shop): State<Arc<Shop>>) -> Response {
    reply(catalog(&shop).await)
}

async fn product_route(State(shop): State<Arc<Shop>>, UrlPath(sku): UrlPath<String>) -> Response {
    reply(product(&shop, sku).await)
}

async fn quote_route(State(shop): State<Arc<Shop>>, Json(req): Json<QuoteRequest>) -> Response {
    reply(quote(&shop, req).await)
}

async fn checkout_route(
    State(shop): State<Arc<Shop>>,
    Json(req): Json<CheckoutRequest>,
) -> Response {
    reply(checkout(&shop, req).await)
}

/// The HTTP status of each error.
fn status(e: &ShopError) -> StatusCode {
    match e {
        ShopError::UnknownProduct { .. } => StatusCode::NOT_FOUND,
        ShopError::UnknownCurrency { .. } => StatusCode::BAD_REQUEST,
        ShopError::InvalidQuantity { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        ShopError::OutOfStock { .. } => StatusCode::CONFLICT,
        ShopError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
    }
}

fn reply<T: Serialize>(result: Result<T, ShopError>) -> Response {
    match result {
        Ok(value) => Json(value).into_response(),
        Err(e) => (status(&e), Json(e)).into_response(),
    }
}

/// The exchange-rate service the shop depends on: `GET /rates/{currency}`.
pub(crate) fn rates_router() -> Router {
    let table: BTreeMap<&'static str, f64> = RATES.into_iter().collect();
    Router::new()
        .route("/rates/{currency}", get(rate_route))
        .with_state(Arc::new(table))
}

async fn rate_route(
    State(table): State<Arc<BTreeMap<&'static str, f64>>>,
    UrlPath(currency): UrlPath<String>,
) -> Response {
    match table.get(currency.as_str()) {
        Some(&rate) => Json(RateBody { currency, rate }).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The currencies the exchange-rate service knows.
pub(crate) fn currencies() -> impl Iterator<Item = &'static str> {
    RATES.iter().map(|(c, _)| *c)
}
