//! The tonic services of playback-grpc's tests and docs, generated at build time from
//! `grpc/proto/shop.proto`: a `Catalog` (unary, server-streaming and client-streaming
//! RPCs) and a `Shop` that calls it.
//!
//! ```
//! let pool = playback_grpc_testshop::descriptor_pool();
//! assert!(pool.get_service_by_name("shop.Catalog").is_some());
//! let req = playback_grpc_testshop::shop::PriceRequest { sku: "apple".into(), currency: "EUR".into() };
//! assert_eq!(req.sku, "apple");
//! ```

/// The generated messages, clients and servers of package `shop`.
///
/// ```
/// let _ = playback_grpc_testshop::shop::OrderLine { sku: "pear".into(), qty: 2 };
/// ```
#[expect(missing_docs, reason = "generated code")]
pub mod shop {
    tonic::include_proto!("shop");
}

/// The file descriptor set of `shop.proto`, as protoc wrote it.
///
/// ```
/// assert!(!playback_grpc_testshop::DESCRIPTOR_SET.is_empty());
/// ```
pub const DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/shop_descriptor.bin"));

/// The descriptor pool of `shop.proto`, for readable JSON of its messages.
///
/// ```
/// let pool = playback_grpc_testshop::descriptor_pool();
/// assert!(pool.get_message_by_name("shop.Price").is_some());
/// ```
pub fn descriptor_pool() -> prost_reflect::DescriptorPool {
    prost_reflect::DescriptorPool::decode(DESCRIPTOR_SET)
        .expect("protoc wrote a valid descriptor set")
}
