//! Slope-restricted activations.
//!
//! Every activation here acts elementwise with slopes in [0, 1], which is the
//! only property the LDLᵀ certificate uses: for two inputs with pre-activation
//! difference Δv and output difference Δz, Δzᵢ(Δvᵢ − Δzᵢ) ≥ 0.

use serde::{Deserialize, Serialize};
use tape::{Tape, Var};

/// An elementwise activation with slopes in [0, 1].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// max(0, v); the slope at exactly 0 is taken as 0.
    #[default]
    Relu,
    /// v for v > 0, eᵛ − 1 otherwise (ELU with α = 1).
    Elu,
    /// tanh(v).
    Tanh,
}

impl Activation {
    /// Parses `relu`, `elu` or `tanh`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "relu" => Some(Activation::Relu),
            "elu" => Some(Activation::Elu),
            "tanh" => Some(Activation::Tanh),
            _ => None,
        }
    }

    /// Returns the lowercase name used on the command line and in model files.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Elu => "elu",
            Activation::Tanh => "tanh",
        }
    }

    /// Records the activation on the tape.
    pub fn apply(self, t: &mut Tape, v: Var) -> Var {
        match self {
            Activation::Relu => t.relu(v),
            Activation::Elu => t.elu(v, 1.0),
            Activation::Tanh => t.tanh(v),
        }
    }

    /// Evaluates the activation at one point.
    pub fn eval(self, v: f64) -> f64 {
        match self {
            Activation::Relu => v.max(0.0),
            Activation::Elu => {
                if v > 0.0 {
                    v
                } else {
                    v.exp_m1()
                }
            }
            Activation::Tanh => v.tanh(),
        }
    }

    /// Returns the slope at one point, in [0, 1]. ReLU's slope at exactly 0 is 0.
    pub fn slope(self, v: f64) -> f64 {
        match self {
            Activation::Relu => {
                if v > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Elu => {
                if v > 0.0 {
                    1.0
                } else {
                    v.exp()
                }
            }
            Activation::Tanh => 1.0 - v.tanh().powi(2),
        }
    }
}
