//! Column-aligned tables as kubectl prints them: columns start where the header's words start.

use std::collections::BTreeMap;

/// A column: its header name and its starting byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Header text, e.g. `LAST SEEN`.
    pub name: String,
    /// Byte offset where the column starts.
    pub start: usize,
}

/// Reads columns from a header: words separated by two or more spaces (or a tab) start columns.
pub fn columns(header: &str) -> Vec<Column> {
    let mut columns = Vec::new();
    let bytes = header.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        while index < bytes.len()
            && (bytes.get(index) == Some(&b' ') || bytes.get(index) == Some(&b'\t'))
        {
            index += 1;
        }
        if index >= bytes.len() {
            break;
        }
        let start = index;
        // A column name ends at two spaces, a tab, or the end.
        while index < bytes.len() {
            let here = bytes.get(index).copied();
            let next = bytes.get(index + 1).copied();
            if here == Some(b'\t') || (here == Some(b' ') && (next == Some(b' ') || next.is_none()))
            {
                break;
            }
            index += 1;
        }
        if let Some(name) = header.get(start..index) {
            columns.push(Column {
                name: name.trim().to_owned(),
                start,
            });
        }
    }
    columns
}

/// Cuts a row at the column offsets. When a value spills past its column (rows wider than the
/// header), the cut moves to the next run of spaces so words are not split.
pub fn row(line: &str, columns: &[Column]) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    if line.contains('\t') && !line.contains("  ") {
        for (column, value) in columns.iter().zip(line.split('\t')) {
            values.insert(column.name.clone(), value.trim().to_owned());
        }
        return values;
    }
    let mut from = 0;
    for (index, column) in columns.iter().enumerate() {
        let mut end = columns
            .get(index + 1)
            .map_or(line.len(), |next| next.start)
            .min(line.len());
        while end < line.len() && !line.is_char_boundary(end) {
            end += 1;
        }
        // If the cut lands inside a word, move it to the end of that word.
        if end < line.len()
            && end > 0
            && line.as_bytes().get(end - 1).is_some_and(|b| *b != b' ')
            && line.as_bytes().get(end).is_some_and(|b| *b != b' ')
        {
            end = line
                .get(end..)
                .and_then(|rest| rest.find(' '))
                .map_or(line.len(), |p| end + p);
        }
        let start = from.min(line.len());
        let value = line.get(start..end.max(start)).unwrap_or_default().trim();
        values.insert(column.name.clone(), value.to_owned());
        from = end;
    }
    values
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn cuts_rows_by_header() {
        let header = "NAME                 READY   STATUS    RESTARTS   AGE   IP           NODE";
        let cols = columns(header);
        assert_eq!(cols.len(), 7);
        let r = row(
            "csi-abc              3/3     Running   0          5d    10.0.0.5     aks-np-1",
            &cols,
        );
        assert_eq!(r["NAME"], "csi-abc");
        assert_eq!(r["NODE"], "aks-np-1");
        assert_eq!(columns("LAST SEEN   TYPE      REASON")[0].name, "LAST SEEN");
    }
}
