//! Other files beside the recordings, under the store's prefix: the JSON reports of a
//! sharded run, for one place every shard writes to and a merge reads from.

use playback_store::StoreError;

use crate::bucket::PutRequest;
use crate::store::S3Store;

impl S3Store {
    /// Uploads `bytes` as the object `<prefix><key>`, now (no queue, no spool): for
    /// files that are not recordings, such as a shard's JSON report
    /// (`reports/run-42/shard-1.json`). Fails on a read-only store.
    ///
    /// ```no_run
    /// # fn demo(store: playback_s3::S3Store) -> Result<(), playback_store::StoreError> {
    /// store.write_object("reports/run-42/shard-1.json", b"{}".to_vec())?;
    /// assert_eq!(store.read_objects("reports/run-42/", ".json")?.len(), 1);
    /// # Ok(()) }
    /// ```
    pub fn write_object(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        self.inner.check_writable("write_object")?;
        let inner = self.inner.clone();
        let key = format!("{}{}", inner.layout.prefix(), key.trim_start_matches('/'));
        self.runtime.wait("write_object", async move {
            let request = PutRequest {
                key: &key,
                body: bytes,
                zstd: false,
                storage_class: None,
                if_absent: false,
            };
            inner.bucket.put("write_object", request).await?;
            Ok(())
        })
    }

    /// Every object under `<prefix><under>` whose key ends with `suffix`, in key
    /// order, as `(key below the store's prefix, bytes)`: what
    /// [`S3Store::write_object`] wrote, such as the reports of every shard of a run.
    ///
    /// ```no_run
    /// # fn demo(store: playback_s3::S3Store) -> Result<(), playback_store::StoreError> {
    /// for (key, bytes) in store.read_objects("reports/run-42/", ".json")? {
    ///     println!("{key}: {} bytes", bytes.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn read_objects(
        &self,
        under: &str,
        suffix: &str,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let inner = self.inner.clone();
        let root = inner.layout.prefix().to_owned();
        let prefix = format!("{root}{}", under.trim_start_matches('/'));
        let suffix = suffix.to_owned();
        self.runtime.wait("read_objects", async move {
            let mut keys = inner
                .bucket
                .list("read_objects", &prefix, false)
                .await?
                .keys;
            keys.retain(|k| k.ends_with(&suffix));
            keys.sort();
            let mut out = Vec::with_capacity(keys.len());
            for key in keys {
                // Reports and other files beside the recordings: not bounded by the
                // recording size limit.
                if let Some(Ok(bytes)) = inner
                    .bucket
                    .get_bounded("read_objects", &key, u64::MAX)
                    .await?
                {
                    out.push((key[root.len()..].to_owned(), bytes));
                }
            }
            Ok(out)
        })
    }
}
