//! A stable merge sort with a fallible `<` (Python's `sorted` raises on incomparable items).

use super::value::Value;
use super::EvalError;

/// The order of `keys` after Python's `sorted(keys, reverse=reverse)`, as indexes. Equal keys
/// keep their original order in both directions, as in Python.
pub(crate) fn sorted_indices(
    keys: &[Value],
    reverse: bool,
    mut less: impl FnMut(&Value, &Value) -> Result<bool, EvalError>,
) -> Result<Vec<usize>, EvalError> {
    let n = keys.len();
    let mut order: Vec<usize> = (0..n).collect();
    let mut merged: Vec<usize> = Vec::with_capacity(n);
    let mut width = 1;
    while width < n {
        merged.clear();
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut i, mut j) = (start, mid);
            while i < mid && j < end {
                let (left, right) = (&keys[order[i]], &keys[order[j]]);
                // The right item goes first only when it is strictly before the left one.
                let right_first = if reverse {
                    less(left, right)?
                } else {
                    less(right, left)?
                };
                if right_first {
                    merged.push(order[j]);
                    j += 1;
                } else {
                    merged.push(order[i]);
                    i += 1;
                }
            }
            merged.extend_from_slice(&order[i..mid]);
            merged.extend_from_slice(&order[j..end]);
            start = end;
        }
        std::mem::swap(&mut order, &mut merged);
        width *= 2;
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jinja::ops::less;

    #[test]
    fn stable_in_both_directions() {
        let keys: Vec<Value> = [3, 1, 2, 1, 3, 0].into_iter().map(Value::Int).collect();
        assert_eq!(
            sorted_indices(&keys, false, less).unwrap(),
            [5, 1, 3, 2, 0, 4]
        );
        assert_eq!(
            sorted_indices(&keys, true, less).unwrap(),
            [0, 4, 2, 1, 3, 5]
        );
        let mixed = vec![Value::Int(1), Value::from("a")];
        assert!(sorted_indices(&mixed, false, less).is_err());
        assert!(sorted_indices(&[], false, less).unwrap().is_empty());
    }
}
