//! Picking the compute backend at run time from a string, so that no code path hard-codes
//! one.
//!
//! | spec | backend | cargo feature |
//! |---|---|---|
//! | `flex` (default) | burn-flex, pure-Rust CPU | none |
//! | `tch-cpu` | libtorch on the CPU (burn-tch) | `tch` |
//! | `tch-cuda:N` | libtorch on CUDA device N | `tch` |
//! | `cuda:N` | burn's CUDA backend (cubecl) on device N | `cuda` |
//!
//! `tch-cuda` and `cuda` without `:N` mean device 0.

use std::fmt;
use std::str::FromStr;

use burn::tensor::Device;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// A compute device named by a string (see the module table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DeviceSpec {
    /// burn-flex on the CPU.
    #[default]
    Flex,
    /// libtorch on the CPU.
    TchCpu,
    /// libtorch on a CUDA GPU.
    TchCuda(usize),
    /// burn's CUDA backend on a GPU.
    Cuda(usize),
}

impl DeviceSpec {
    /// The burn device (without autodiff), or an error naming the cargo feature to enable
    /// when this build does not include the backend.
    pub fn device(&self) -> Result<Device> {
        match *self {
            DeviceSpec::Flex => Ok(Device::flex()),
            DeviceSpec::TchCpu => tch_device(None).map_err(|m| self.error(m)),
            DeviceSpec::TchCuda(i) => tch_device(Some(i)).map_err(|m| self.error(m)),
            DeviceSpec::Cuda(i) => cuda_device(i).map_err(|m| self.error(m)),
        }
    }

    fn error(&self, message: String) -> Error {
        Error::Device {
            spec: self.to_string(),
            message,
        }
    }
}

#[cfg(feature = "tch")]
#[allow(deprecated)] // burn marks burn-tch deprecated; it is still the libtorch route.
fn tch_device(cuda: Option<usize>) -> Result<Device, String> {
    Ok(match cuda {
        None => Device::libtorch(),
        Some(i) => Device::libtorch_cuda(i),
    })
}

#[cfg(not(feature = "tch"))]
fn tch_device(_cuda: Option<usize>) -> Result<Device, String> {
    Err(
        "this build has no libtorch backend: rebuild inherit-train with `--features tch` \
         (see the crate README for the libtorch setup)"
            .into(),
    )
}

#[cfg(feature = "cuda")]
fn cuda_device(index: usize) -> Result<Device, String> {
    Ok(Device::cuda(index))
}

#[cfg(not(feature = "cuda"))]
fn cuda_device(_index: usize) -> Result<Device, String> {
    Err("this build has no CUDA backend: rebuild inherit-train with `--features cuda`".into())
}

impl fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceSpec::Flex => f.write_str("flex"),
            DeviceSpec::TchCpu => f.write_str("tch-cpu"),
            DeviceSpec::TchCuda(i) => write!(f, "tch-cuda:{i}"),
            DeviceSpec::Cuda(i) => write!(f, "cuda:{i}"),
        }
    }
}

impl FromStr for DeviceSpec {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let lower = s.trim().to_ascii_lowercase();
        let (name, index) = match lower.split_once(':') {
            Some((name, idx)) => {
                let i = idx.parse::<usize>().map_err(|_| Error::Device {
                    spec: s.to_owned(),
                    message: format!("`{idx}` is not a device index"),
                })?;
                (name, Some(i))
            }
            None => (lower.as_str(), None),
        };
        match (name, index) {
            ("flex", None) => Ok(DeviceSpec::Flex),
            ("tch-cpu", None) => Ok(DeviceSpec::TchCpu),
            ("tch-cuda", i) => Ok(DeviceSpec::TchCuda(i.unwrap_or(0))),
            ("cuda", i) => Ok(DeviceSpec::Cuda(i.unwrap_or(0))),
            _ => Err(Error::Device {
                spec: s.to_owned(),
                message: "unknown device; known: flex, tch-cpu, tch-cuda[:N], cuda[:N]".into(),
            }),
        }
    }
}

impl Serialize for DeviceSpec {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for DeviceSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_print_back() {
        for (s, spec) in [
            ("flex", DeviceSpec::Flex),
            ("tch-cpu", DeviceSpec::TchCpu),
            ("tch-cuda:1", DeviceSpec::TchCuda(1)),
            ("cuda:0", DeviceSpec::Cuda(0)),
        ] {
            assert_eq!(s.parse::<DeviceSpec>().unwrap(), spec);
            assert_eq!(spec.to_string(), s);
        }
        assert_eq!("CUDA".parse::<DeviceSpec>().unwrap(), DeviceSpec::Cuda(0));
        assert!("gpu".parse::<DeviceSpec>().is_err());
        assert!("cuda:x".parse::<DeviceSpec>().is_err());
    }

    #[test]
    fn flex_is_available_and_missing_backends_name_their_feature() {
        assert!(DeviceSpec::Flex.device().is_ok());
        #[cfg(not(feature = "tch"))]
        {
            let err = DeviceSpec::TchCpu.device().unwrap_err().to_string();
            assert!(err.contains("--features tch"), "{err}");
        }
        #[cfg(not(feature = "cuda"))]
        {
            let err = DeviceSpec::Cuda(0).device().unwrap_err().to_string();
            assert!(err.contains("--features cuda"), "{err}");
        }
    }
}
