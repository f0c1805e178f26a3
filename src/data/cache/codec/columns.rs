//! A column in the payload in the shape it has in memory: raw floats with their extras,
//! codes of 1, 2 or 4 bytes with their dictionary, a text buffer with row ends, or values.

use crate::data::cache::bytes::{ByteReader, ByteWriter, Damaged, f64_le, u32_le, uint_le};
use crate::table::Column;
use crate::table::column::{ColumnValues, FloatKind};
use crate::value::{Value, ValueType};

use super::EncodeError;
use super::values::{ValuesView, encode_values};

fn type_code(ty: ValueType) -> u8 {
    match ty {
        ValueType::Number => 0,
        ValueType::Text => 1,
        ValueType::Bool => 2,
        ValueType::Date => 3,
        ValueType::Any => 4,
    }
}

fn type_of_code(code: u8) -> Result<ValueType, Damaged> {
    Ok(match code {
        0 => ValueType::Number,
        1 => ValueType::Text,
        2 => ValueType::Bool,
        3 => ValueType::Date,
        4 => ValueType::Any,
        _ => return Err(Damaged("unknown column type")),
    })
}

const SHAPE_FLOATS: u8 = 0;
const SHAPE_CODED: u8 = 1;
const SHAPE_VALUES: u8 = 2;
const SHAPE_TEXTS: u8 = 3;

/// Bytes gathered before they are handed to the sink: big columns pass through a
/// small buffer instead of being encoded whole.
pub(super) const SPILL: usize = 1 << 20;

pub(super) type Sink<'a> = dyn FnMut(&[u8]) -> std::io::Result<()> + 'a;

/// Hands the gathered bytes to the sink once there are enough of them (or `now`).
pub(super) fn spill(w: &mut ByteWriter, sink: &mut Sink<'_>, now: bool) -> std::io::Result<()> {
    if now || w.bytes.len() >= SPILL {
        sink(&w.bytes)?;
        w.bytes.clear();
    }
    Ok(())
}

pub(super) fn encode_column(
    w: &mut ByteWriter,
    column: &Column,
    sink: &mut Sink<'_>,
) -> Result<(), EncodeError> {
    let Column { name, ty, data } = column;
    w.str(name);
    w.u8(type_code(*ty));
    match &**data {
        ColumnValues::Floats { kind, data, extras } => {
            w.u8(SHAPE_FLOATS);
            w.u8(match kind {
                FloatKind::Number => 0,
                FloatKind::Date => 1,
            });
            w.usize(data.len());
            for x in data {
                w.f64(*x);
                spill(w, sink, false)?;
            }
            encode_values(w, extras)?;
        }
        ColumnValues::Coded { codes, dictionary } => {
            w.u8(SHAPE_CODED);
            w.usize(codes.len());
            encode_values(w, dictionary)?;
            let width: usize = if dictionary.len() <= 1 << 8 {
                1
            } else if dictionary.len() <= 1 << 16 {
                2
            } else {
                4
            };
            w.u8(width as u8);
            for c in codes {
                w.bytes
                    .extend_from_slice(c.to_le_bytes().get(..width).unwrap_or_default());
                spill(w, sink, false)?;
            }
        }
        ColumnValues::Texts { text, ends, others } => {
            w.u8(SHAPE_TEXTS);
            w.usize(ends.len());
            w.usize(text.len());
            spill(w, sink, true)?;
            sink(text.as_bytes())?;
            for end in ends {
                w.u32(*end);
                spill(w, sink, false)?;
            }
            w.usize(others.len());
            for (row, _) in others {
                w.u32(*row);
            }
            let values: Vec<Value> = others.iter().map(|(_, v)| v.clone()).collect();
            encode_values(w, &values)?;
        }
        ColumnValues::Values(values) => {
            w.u8(SHAPE_VALUES);
            encode_values(w, values)?;
        }
    }
    Ok(())
}

/// Little-endian u32s packed in `bytes`.
fn u32s(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes.chunks_exact(4).map(u32_le)
}

/// Where one column's parts are in the payload.
pub(super) struct ColumnView<'a> {
    name: &'a str,
    ty: ValueType,
    shape: ShapeView<'a>,
}

enum ShapeView<'a> {
    Floats {
        kind: FloatKind,
        data: &'a [u8],
        extras: ValuesView<'a>,
    },
    Coded {
        dictionary: ValuesView<'a>,
        width: usize,
        codes: &'a [u8],
    },
    Texts {
        text: &'a str,
        ends: &'a [u8],
        other_rows: &'a [u8],
        others: ValuesView<'a>,
    },
    Values(ValuesView<'a>),
}

impl<'a> ColumnView<'a> {
    pub(super) fn parse(r: &mut ByteReader<'a>) -> Result<Self, Damaged> {
        let name = r.str()?;
        let ty = type_of_code(r.u8()?)?;
        let shape = match r.u8()? {
            SHAPE_FLOATS => {
                let kind = match r.u8()? {
                    0 => FloatKind::Number,
                    1 => FloatKind::Date,
                    _ => return Err(Damaged("unknown float kind")),
                };
                let rows = r.count()?;
                let data = r.take_array(rows, 8)?;
                let extras = ValuesView::parse(r)?;
                ShapeView::Floats { kind, data, extras }
            }
            SHAPE_CODED => {
                let rows = r.count()?;
                let dictionary = ValuesView::parse(r)?;
                let width = usize::from(r.u8()?);
                if !matches!(width, 1 | 2 | 4) {
                    return Err(Damaged("unknown code width"));
                }
                let codes = r.take_array(rows, width)?;
                ShapeView::Coded {
                    dictionary,
                    width,
                    codes,
                }
            }
            SHAPE_TEXTS => {
                let rows = r.count()?;
                let text = r.str()?;
                let ends = r.take_array(rows, 4)?;
                let other_count = r.count()?;
                let other_rows = r.take_array(other_count, 4)?;
                let others = ValuesView::parse(r)?;
                if others.rows != other_count {
                    return Err(Damaged("a text column's other rows and values differ"));
                }
                ShapeView::Texts {
                    text,
                    ends,
                    other_rows,
                    others,
                }
            }
            SHAPE_VALUES => ShapeView::Values(ValuesView::parse(r)?),
            _ => return Err(Damaged("unknown column shape")),
        };
        Ok(ColumnView { name, ty, shape })
    }

    pub(super) fn decode(self) -> Result<Column, Damaged> {
        let data = match self.shape {
            ShapeView::Floats { kind, data, extras } => {
                let floats: Vec<f64> = data.chunks_exact(8).map(f64_le).collect();
                ColumnValues::from_floats(kind, floats, extras.decode()?).map_err(Damaged)?
            }
            ShapeView::Texts {
                text,
                ends,
                other_rows,
                others,
            } => {
                let others: Vec<(u32, Value)> = u32s(other_rows).zip(others.decode()?).collect();
                ColumnValues::from_texts(text.to_string(), u32s(ends).collect(), others)
                    .map_err(Damaged)?
            }
            ShapeView::Coded {
                dictionary,
                width,
                codes,
            } => {
                let codes: Vec<u32> = codes
                    .chunks_exact(width)
                    .map(|b| uint_le(b, width))
                    .collect();
                ColumnValues::from_codes(codes, dictionary.decode()?).map_err(Damaged)?
            }
            ShapeView::Values(values) => ColumnValues::Values(values.decode()?),
        };
        Ok(Column::stored(self.name, self.ty, data))
    }
}
