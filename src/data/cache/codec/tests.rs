//! Round trips of whole payloads: every shape and width, columns bigger than the spill
//! buffer, every truncation an error.

use std::path::PathBuf;
use std::sync::Arc;

use super::columns::SPILL;
use super::values::MAX_DICTIONARY;
use super::*;
use crate::value::{ErrorKind, ErrorOrigin, ExcelError, Value, ValueType};

fn sample() -> InputData {
    let mut table = Table::new("Deals", 4);
    table.columns.push(Column::new(
        "channel",
        ValueType::Text,
        ["Direct", "Partner", "Direct", "Online"]
            .map(Value::text)
            .to_vec(),
    ));
    table.columns.push(Column::new(
        "id",
        ValueType::Text,
        ["D-1", "D-2", "D-3", "D-4"].map(Value::text).to_vec(),
    ));
    table.columns.push(Column::new(
        "amount",
        ValueType::Number,
        vec![
            Value::Number(1.5),
            Value::Number(-0.0),
            Value::Number(f64::MAX),
            Value::Number(3.0),
        ],
    ));
    table.columns.push(Column::new(
        "created",
        ValueType::Date,
        [45000.0, 45001.5, 1.0, 2958465.0].map(Value::Date).to_vec(),
    ));
    let origin = ErrorOrigin {
        rule: Arc::from("Deals.x"),
        row: Some(3),
        reason: Arc::from("why"),
    };
    table.columns.push(Column::new(
        "mixed",
        ValueType::Any,
        vec![
            Value::Blank,
            Value::Date(45000.0),
            Value::Bool(true),
            Value::Error(std::sync::Arc::new(ExcelError {
                kind: ErrorKind::NA,
                origin: Some(origin),
            })),
        ],
    ));
    InputData {
        tables: vec![table, Table::new("Empty", 0)],
        quality: QualityLog {
            entries: vec![QualityEntry {
                table: "Deals".into(),
                file: PathBuf::from("/x/crm.xlsx"),
                cell: "Deals!C3".into(),
                column: "amount".into(),
                raw: "n/a".into(),
                expected: "a number".into(),
                action: "kept as #VALUE!".into(),
            }],
            counts: vec![TableCounts {
                table: "Deals".into(),
                rows_read: 5,
                rows_kept: 4,
                rows_rejected: 1,
                blank_rows_skipped: 2,
                cells_reported: 3,
                cells_repaired: 1,
                cells_not_listed: 0,
            }],
        },
        files: vec![InputFile {
            path: PathBuf::from("/x/crm.xlsx"),
            sha256: "ab".repeat(32),
            bytes: 1234,
        }],
    }
}

#[test]
fn everything_read_comes_back_equal() {
    let data = sample();
    let decoded = decode(&encode_to_vec(&data).unwrap()).unwrap();
    assert_eq!(decoded.tables, data.tables);
    assert_eq!(decoded.quality, data.quality);
    assert_eq!(decoded.files, data.files);
    // Error origins survive too (Value's equality compares only the kind).
    let mixed = &decoded.tables[0].columns[4].values()[3];
    let Value::Error(e) = mixed else {
        panic!("{mixed:?}")
    };
    assert_eq!(e.origin.as_ref().map(|o| o.row), Some(Some(3)));
    // Negative zero is kept bit for bit.
    let Value::Number(z) = decoded.tables[0].columns[2].values()[1] else {
        panic!()
    };
    assert!(z.is_sign_negative());
}

#[test]
fn columns_bigger_than_the_spill_buffer_round_trip_in_every_shape() {
    let rows = 300_000;
    let mut table = Table::new("Big", rows);
    let column = |name: &str, f: &dyn Fn(usize) -> Value| {
        Column::new(name, ValueType::Any, (0..rows).map(f).collect())
    };
    table.columns.push(column("amount", &|i| {
        if i % 9 == 0 {
            Value::text("")
        } else {
            Value::Number(i as f64 / 3.0)
        }
    }));
    table
        .columns
        .push(column("channel", &|i| Value::text(["a", "b", "c"][i % 3])));
    table.columns.push(column("partner", &|i| {
        Value::text(&format!("P{}", i % 1000))
    }));
    table
        .columns
        .push(column("id", &|i| Value::text(&format!("ID-{i}"))));
    let shapes: Vec<&str> = table.columns.iter().map(|c| c.data.shape_name()).collect();
    assert_eq!(shapes, ["floats", "coded", "coded", "texts"]);
    let data = InputData {
        tables: vec![table],
        ..InputData::default()
    };
    let mut parts = 0;
    let mut bytes = Vec::new();
    encode(&data, &mut |part| {
        parts += 1;
        assert!(
            part.len() <= SPILL + (1 << 16) || part.len() > 1 << 21,
            "{}",
            part.len()
        );
        bytes.extend_from_slice(part);
        Ok(())
    })
    .unwrap();
    assert!(parts > 4, "{parts} parts");
    assert_eq!(decode(&bytes).unwrap().tables, data.tables);
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    let bytes = encode_to_vec(&sample()).unwrap();
    for len in 0..bytes.len() {
        assert!(decode(&bytes[..len]).is_err(), "truncated at {len}");
    }
}

#[test]
fn dictionaries_of_every_width_and_past_the_limit_round_trip() {
    let column = |distinct: usize, rows: usize| {
        Column::new(
            "c",
            ValueType::Text,
            (0..rows)
                .map(|i| Value::text(&format!("v{}", i % distinct)))
                .collect(),
        )
    };
    // 1-byte indices, 2-byte indices, and more distinct texts than a dictionary holds.
    for (distinct, rows) in [(200, 1000), (3000, 9000), (MAX_DICTIONARY + 10, 140_000)] {
        let mut table = Table::new("T", rows);
        table.columns.push(column(distinct, rows));
        let data = InputData {
            tables: vec![table],
            ..InputData::default()
        };
        let decoded = decode(&encode_to_vec(&data).unwrap()).unwrap();
        assert_eq!(decoded.tables, data.tables, "{distinct} distinct");
    }
}

#[test]
fn repeated_text_uses_a_dictionary_and_ids_do_not() {
    let rows = 1000;
    let mut table = Table::new("T", rows);
    table.columns.push(Column::new(
        "channel",
        ValueType::Text,
        (0..rows)
            .map(|i| Value::text(["Partner channel, EMEA north", "Direct"][i % 2]))
            .collect(),
    ));
    table.columns.push(Column::new(
        "id",
        ValueType::Text,
        (0..rows).map(|i| Value::text(&format!("ID-{i}"))).collect(),
    ));
    let data = InputData {
        tables: vec![table],
        ..InputData::default()
    };
    let bytes = encode_to_vec(&data).unwrap();
    let decoded = decode(&bytes).unwrap();
    assert_eq!(decoded.tables, data.tables);
    // Dictionary column: one shared allocation per distinct string.
    let channel = decoded.tables[0].columns[0].values();
    let (Value::Text(a), Value::Text(b)) = (&channel[0], &channel[2]) else {
        panic!()
    };
    assert!(std::ptr::eq((**a).as_ptr(), (**b).as_ptr()));
    // Each id is stored once (text and u32 length) with no index beside it (a
    // 1000-string dictionary would need 2 bytes per row); the channels take 1 byte.
    let id_bytes: usize = (0..rows).map(|i| format!("ID-{i}").len() + 4).sum();
    assert!(bytes.len() < id_bytes + rows + 500, "{}", bytes.len());
}
