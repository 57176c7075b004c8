//! Sync inputs, outputs and operations: unit and `Result` returns, early `return` and `?`,
//! destructured and raw-identifier arguments, every playback key.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Cart {
    id: u64,
    items: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum ShopError {
    NotFound(u64),
    Empty,
}

#[playback::instrument(playback = "input", alias = "shop::load_cart", fallback_aliases = ["old::load_cart"])]
fn load_cart(cart_id: u64) -> Result<Cart, ShopError> {
    if cart_id == 0 {
        return Err(ShopError::NotFound(cart_id));
    }
    Ok(Cart {
        id: cart_id,
        items: vec![cart_id, 2],
    })
}

#[playback::instrument(playback = "input", on_missing = "default")]
fn discount((code, percent): (String, u8)) -> u64 {
    if code.is_empty() {
        0
    } else {
        u64::from(percent)
    }
}

#[playback::instrument(playback = "input", on_missing = "live")]
fn clock() -> u64 {
    42
}

#[playback::instrument(playback = "output", fail_on_missing = false)]
fn notify(r#type: String, to: &str) {
    let _ = (r#type, to);
}

#[playback::instrument(playback = "output")]
fn save(cart: &Cart, total: u64) -> Result<u64, ShopError> {
    if cart.items.is_empty() {
        Err(ShopError::Empty)?;
    }
    Ok(total)
}

#[playback::instrument(playback = "operation")]
fn checkout(cart_id: u64) -> Result<u64, ShopError> {
    let cart = load_cart(cart_id)?;
    let total = cart.items.iter().sum::<u64>() + discount(("SPRING".to_owned(), 5)) + clock();
    notify("receipt".to_owned(), "ann@example.com");
    save(&cart, total)
}

#[playback::instrument(playback = "operation")]
fn unit_operation() {}

fn main() {
    assert_eq!(checkout(1), Ok(1 + 2 + 5 + 42));
    assert_eq!(checkout(0), Err(ShopError::NotFound(0)));
    assert_eq!(discount((String::new(), 9)), 0);
    unit_operation();
}
