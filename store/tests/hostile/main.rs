//! A directory store holding hostile files, and the fuzz targets' regression inputs.

mod dir;
mod fuzz;
