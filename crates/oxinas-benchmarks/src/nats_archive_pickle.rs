//! A pickle decoder for the NATS-Bench archive files.
//!
//! serde-pickle rejects the `collections.OrderedDict` instances that the
//! archive holds (the official collection script rebuilds per-epoch times as
//! ordered dicts), so this decoder reads the binary opcodes of protocols 2-5
//! that plain data uses, builds `OrderedDict` as a dict, and refuses any other
//! class by name. Memoized containers are stored as they were when memoized:
//! the archive shares no mutable container between two places.

use std::collections::BTreeMap;

use serde_pickle::Value;

enum Item {
    Value(Value),
    Global(String, String),
    Mark,
}

/// Decodes one pickle from `bytes`; the error says what went wrong at which
/// byte offset.
pub fn decode_pickle(bytes: &[u8]) -> Result<Value, String> {
    let mut stack: Vec<Item> = Vec::new();
    let mut memo: Vec<Option<Value>> = Vec::new();
    let mut pos = 0usize;
    let take = |pos: &mut usize, n: usize| -> Result<&[u8], String> {
        let end = pos
            .checked_add(n)
            .filter(|&e| e <= bytes.len())
            .ok_or_else(|| format!("byte {pos}: truncated pickle, expected {n} more bytes"))?;
        let slice = &bytes[*pos..end];
        *pos = end;
        Ok(slice)
    };
    let le = |b: &[u8]| {
        b.iter()
            .rev()
            .fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
    };
    loop {
        let at = pos;
        let op = *take(&mut pos, 1)?.first().unwrap_or(&0);
        let err = |m: &str| format!("byte {at}: opcode 0x{op:02x}: {m}");
        let pop_value = |stack: &mut Vec<Item>| match stack.pop() {
            Some(Item::Value(v)) => Ok(v),
            Some(Item::Global(m, n)) => {
                Err(err(&format!("unsupported class {m}.{n} used as data")))
            }
            _ => Err(err("stack underflow")),
        };
        let pop_mark = |stack: &mut Vec<Item>| -> Result<Vec<Value>, String> {
            let mut items = Vec::new();
            loop {
                match stack.pop() {
                    Some(Item::Mark) => break,
                    Some(Item::Value(v)) => items.push(v),
                    Some(Item::Global(m, n)) => {
                        return Err(err(&format!("unsupported class {m}.{n} used as data")));
                    }
                    None => return Err(err("no mark on the stack")),
                }
            }
            items.reverse();
            Ok(items)
        };
        let hashable = |v: Value| {
            v.into_hashable()
                .map_err(|e| err(&format!("unhashable key: {e}")))
        };
        match op {
            0x80 => {
                take(&mut pos, 1)?;
            }
            0x95 => {
                take(&mut pos, 8)?;
            }
            b'.' => {
                return match (stack.pop(), stack.is_empty()) {
                    (Some(Item::Value(v)), true) => Ok(v),
                    _ => Err(err("expected exactly one value at STOP")),
                };
            }
            b'(' => stack.push(Item::Mark),
            b'}' => stack.push(Item::Value(Value::Dict(BTreeMap::new()))),
            b']' => stack.push(Item::Value(Value::List(Vec::new()))),
            b')' => stack.push(Item::Value(Value::Tuple(Vec::new()))),
            0x85..=0x87 => {
                let n = usize::from(op - 0x84);
                if stack.len() < n {
                    return Err(err("stack underflow"));
                }
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(pop_value(&mut stack)?);
                }
                items.reverse();
                stack.push(Item::Value(Value::Tuple(items)));
            }
            b't' => {
                let items = pop_mark(&mut stack)?;
                stack.push(Item::Value(Value::Tuple(items)));
            }
            b's' | b'u' => {
                let items = if op == b's' {
                    let v = pop_value(&mut stack)?;
                    let k = pop_value(&mut stack)?;
                    vec![k, v]
                } else {
                    pop_mark(&mut stack)?
                };
                if items.len() % 2 != 0 {
                    return Err(err("odd number of items for a dict"));
                }
                let Some(Item::Value(Value::Dict(map))) = stack.last_mut() else {
                    return Err(err("SETITEM(S) on something other than a dict"));
                };
                let mut it = items.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    map.insert(hashable(k)?, v);
                }
            }
            b'a' | b'e' => {
                let items = if op == b'a' {
                    vec![pop_value(&mut stack)?]
                } else {
                    pop_mark(&mut stack)?
                };
                let Some(Item::Value(Value::List(list))) = stack.last_mut() else {
                    return Err(err("APPEND(S) on something other than a list"));
                };
                list.extend(items);
            }
            b'J' => {
                let b = take(&mut pos, 4)?;
                let v = i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                stack.push(Item::Value(Value::I64(i64::from(v))));
            }
            b'K' => {
                let v = take(&mut pos, 1)?[0];
                stack.push(Item::Value(Value::I64(i64::from(v))));
            }
            b'M' => {
                let v = le(take(&mut pos, 2)?);
                stack.push(Item::Value(Value::I64(v as i64)));
            }
            0x8a => {
                let n = usize::from(take(&mut pos, 1)?[0]);
                if n > 8 {
                    return Err(err("integer wider than 64 bits"));
                }
                let b = take(&mut pos, n)?;
                let raw = le(b);
                // Sign-extend from n bytes.
                let v = if n == 0 {
                    0
                } else if n < 8 && b[n - 1] & 0x80 != 0 {
                    (raw | (!0u64 << (8 * n))) as i64
                } else {
                    raw as i64
                };
                stack.push(Item::Value(Value::I64(v)));
            }
            b'G' => {
                let b = take(&mut pos, 8)?;
                let mut raw = [0u8; 8];
                raw.copy_from_slice(b);
                stack.push(Item::Value(Value::F64(f64::from_be_bytes(raw))));
            }
            b'X' | 0x8c | 0x8d | b'C' | b'B' => {
                let width = match op {
                    0x8c | b'C' => 1,
                    0x8d => 8,
                    _ => 4,
                };
                let n = usize::try_from(le(take(&mut pos, width)?))
                    .map_err(|_| err("length too large"))?;
                let raw = take(&mut pos, n)?.to_vec();
                let value = if matches!(op, b'C' | b'B') {
                    Value::Bytes(raw)
                } else {
                    Value::String(String::from_utf8(raw).map_err(|_| err("invalid UTF-8"))?)
                };
                stack.push(Item::Value(value));
            }
            b'N' => stack.push(Item::Value(Value::None)),
            0x88 => stack.push(Item::Value(Value::Bool(true))),
            0x89 => stack.push(Item::Value(Value::Bool(false))),
            0x94 | b'q' | b'r' => {
                let index = match op {
                    0x94 => memo.len(),
                    b'q' => usize::from(take(&mut pos, 1)?[0]),
                    _ => le(take(&mut pos, 4)?) as usize,
                };
                let stored = match stack.last() {
                    Some(Item::Value(v)) => Some(v.clone()),
                    // Classes are looked up again at REDUCE time.
                    _ => None,
                };
                if index >= memo.len() {
                    memo.resize(index + 1, None);
                }
                memo[index] = stored;
                if let Some(Item::Global(m, n)) = stack.last() {
                    globals_memo(&mut memo, index, m, n);
                }
            }
            b'h' | b'j' => {
                let index = if op == b'h' {
                    usize::from(take(&mut pos, 1)?[0])
                } else {
                    le(take(&mut pos, 4)?) as usize
                };
                match memo.get(index) {
                    Some(Some(Value::Tuple(t)))
                        if t.len() == 3 && t[0] == Value::String(GLOBAL_TAG.to_owned()) =>
                    {
                        let (Value::String(m), Value::String(n)) = (&t[1], &t[2]) else {
                            return Err(err("corrupt memo"));
                        };
                        stack.push(Item::Global(m.clone(), n.clone()));
                    }
                    Some(Some(v)) => stack.push(Item::Value(v.clone())),
                    _ => return Err(err(&format!("memo entry {index} was never stored"))),
                }
            }
            b'c' => {
                let mut line = || -> Result<String, String> {
                    let rest = &bytes[pos..];
                    let end = rest
                        .iter()
                        .position(|&b| b == b'\n')
                        .ok_or_else(|| err("unterminated GLOBAL"))?;
                    pos += end + 1;
                    Ok(String::from_utf8_lossy(&rest[..end]).into_owned())
                };
                let module = line()?;
                let name = line()?;
                stack.push(Item::Global(module, name));
            }
            0x93 => {
                let name = pop_value(&mut stack)?;
                let module = pop_value(&mut stack)?;
                let (Value::String(module), Value::String(name)) = (module, name) else {
                    return Err(err("STACK_GLOBAL needs two strings"));
                };
                stack.push(Item::Global(module, name));
            }
            b'R' => {
                let args = pop_value(&mut stack)?;
                let Some(Item::Global(module, name)) = stack.pop() else {
                    return Err(err("REDUCE without a class"));
                };
                if (module.as_str(), name.as_str()) != ("collections", "OrderedDict") {
                    return Err(err(&format!("unsupported class {module}.{name}")));
                }
                let mut map = BTreeMap::new();
                // OrderedDict(iterable_of_pairs) in older protocols.
                if let Value::Tuple(args) = args {
                    if let Some(Value::List(pairs)) = args.into_iter().next() {
                        for pair in pairs {
                            let (Value::Tuple(kv) | Value::List(kv)) = pair else {
                                return Err(err("OrderedDict items must be pairs"));
                            };
                            let mut kv = kv.into_iter();
                            if let (Some(k), Some(v)) = (kv.next(), kv.next()) {
                                map.insert(hashable(k)?, v);
                            }
                        }
                    }
                }
                stack.push(Item::Value(Value::Dict(map)));
            }
            _ => return Err(err("unsupported opcode")),
        }
    }
}

/// Memo entries that hold a class are stored as a tagged tuple.
const GLOBAL_TAG: &str = "\u{0}global";

fn globals_memo(memo: &mut [Option<Value>], index: usize, module: &str, name: &str) {
    memo[index] = Some(Value::Tuple(vec![
        Value::String(GLOBAL_TAG.to_owned()),
        Value::String(module.to_owned()),
        Value::String(name.to_owned()),
    ]));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_pickle::HashableValue;

    fn hs(text: &str) -> HashableValue {
        HashableValue::String(text.to_owned())
    }

    #[test]
    fn decodes_ordered_dicts_as_python_pickles_them() {
        // pickle.dumps({'a': OrderedDict([(0, 1.5), (1, 2.5)]), 'b': OrderedDict([(0, 3.0)]),
        //   't': [('x', 7)], 'n': None, 'big': 2**40}, protocol=4)
        let bytes = b"\x80\x04\x95y\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01a\x94\x8c\x0bcollections\x94\x8c\x0bOrderedDict\x94\x93\x94)R\x94(K\x00G?\xf8\x00\x00\x00\x00\x00\x00K\x01G@\x04\x00\x00\x00\x00\x00\x00u\x8c\x01b\x94h\x04)R\x94K\x00G@\x08\x00\x00\x00\x00\x00\x00s\x8c\x01t\x94]\x94\x8c\x01x\x94K\x07\x86\x94a\x8c\x01n\x94N\x8c\x03big\x94\x8a\x06\x00\x00\x00\x00\x00\x01u.";
        let Value::Dict(top) = decode_pickle(bytes).unwrap() else {
            panic!("not a dict");
        };
        let Value::Dict(a) = &top[&hs("a")] else {
            panic!("a")
        };
        assert_eq!(a[&HashableValue::I64(1)], Value::F64(2.5));
        let Value::Dict(b) = &top[&hs("b")] else {
            panic!("b")
        };
        assert_eq!(b[&HashableValue::I64(0)], Value::F64(3.0));
        assert_eq!(
            top[&hs("t")],
            Value::List(vec![Value::Tuple(vec![
                Value::String("x".into()),
                Value::I64(7)
            ])])
        );
        assert_eq!(top[&hs("n")], Value::None);
        assert_eq!(top[&hs("big")], Value::I64(1 << 40));
    }

    #[test]
    fn refuses_other_classes_and_truncation_with_the_offset() {
        let numpy = b"\x80\x04\x8c\x05numpy\x8c\x06scalar\x93)R.";
        let message = decode_pickle(numpy).unwrap_err();
        assert!(
            message.contains("unsupported class numpy.scalar"),
            "{message}"
        );
        let message = decode_pickle(b"\x80\x04}\x94(\x8c\x05ab").unwrap_err();
        assert!(
            message.contains("byte 7: truncated pickle, expected 5 more bytes"),
            "{message}"
        );
    }

    #[test]
    fn reads_what_serde_pickle_writes() {
        let value = crate::nats_archive_fixture::file_state(
            0,
            "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
        );
        let bytes = serde_pickle::value_to_vec(&value, serde_pickle::SerOptions::new()).unwrap();
        assert_eq!(decode_pickle(&bytes).unwrap(), value);
    }
}
