//! Generates the tonic services of `../proto/shop.proto`, and its descriptor set (for
//! readable JSON through `prost_reflect::DescriptorPool`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    println!("cargo:rerun-if-changed=../proto/shop.proto");
    tonic_prost_build::configure()
        .file_descriptor_set_path(out.join("shop_descriptor.bin"))
        .compile_protos(&["../proto/shop.proto"], &["../proto"])
        .map_err(|e| {
            format!(
                "{e}\nplayback-grpc's tests need protoc: `apt-get install -y protobuf-compiler` \
                 (or set PROTOC to its path)"
            )
        })?;
    Ok(())
}
