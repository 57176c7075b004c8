//! `async fn` inputs, outputs and operations, with `?`, early `return`, `err` and `ret`.

#[playback::instrument(playback = "input", err, ret)]
async fn fetch_rate(currency: &str) -> Result<f64, String> {
    tokio::task::yield_now().await;
    if currency.is_empty() {
        return Err("no currency".to_owned());
    }
    Ok(2.0)
}

#[playback::instrument(playback = "output")]
async fn publish(topic: String, amount: u64) -> bool {
    tokio::task::yield_now().await;
    !topic.is_empty() && amount > 0
}

#[playback::instrument(playback = "operation", err)]
async fn convert(amount: u64, currency: String) -> Result<u64, String> {
    let rate = fetch_rate(&currency).await?;
    let converted = (amount as f64 * rate) as u64;
    publish("converted".to_owned(), converted).await;
    Ok(converted)
}

#[playback::instrument(playback = "operation")]
async fn unit_async() {
    tokio::task::yield_now().await;
}

fn assert_send<T: Send>(value: T) -> T {
    value
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(assert_send(convert(10, "EUR".to_owned())).await, Ok(20));
    assert_eq!(
        convert(10, String::new()).await,
        Err("no currency".to_owned())
    );
    let spawned = tokio::spawn(convert(3, "USD".to_owned()));
    assert_eq!(spawned.await.unwrap(), Ok(6));
    unit_async().await;
}
