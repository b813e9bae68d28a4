//! Terminal columns by display width: a CJK character takes two columns, so padding by
//! `chars().count()` misaligns every table with a Chinese team name or header.

use unicode_width::UnicodeWidthStr;

/// Columns `s` takes in a terminal (East Asian wide characters count two).
pub fn display_width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` padded with spaces on the right to `width` columns (unchanged when already wider).
pub fn pad_right(s: &str, width: usize) -> String {
    let mut out = s.to_string();
    out.extend(std::iter::repeat_n(
        ' ',
        width.saturating_sub(display_width(s)),
    ));
    out
}

/// `s` padded with spaces on the left to `width` columns (numbers in a right-aligned column).
pub fn pad_left(s: &str, width: usize) -> String {
    let mut out: String =
        std::iter::repeat_n(' ', width.saturating_sub(display_width(s))).collect();
    out.push_str(s);
    out
}

/// A table as lines: the header, then the rows, columns left-aligned by display width and
/// separated by two spaces, trailing spaces trimmed. Rows shorter than the header leave their
/// last columns empty.
pub fn table(head: &[String], rows: &[Vec<String>]) -> Vec<String> {
    let mut width: Vec<usize> = head.iter().map(|h| display_width(h)).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if i < width.len() {
                width[i] = width[i].max(display_width(cell));
            } else {
                width.push(display_width(cell));
            }
        }
    }
    let line = |cells: &[String]| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| pad_right(c, width[i]))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    std::iter::once(line(head))
        .chain(rows.iter().map(|r| line(r)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_counts_two_columns() {
        assert_eq!(display_width("队伍"), 4);
        assert_eq!(display_width("team"), 4);
        assert_eq!(pad_right("蓝队", 6), "蓝队  ");
        assert_eq!(pad_left("7", 3), "  7");
    }

    #[test]
    fn table_columns_line_up_by_width() {
        let head = vec!["名次".to_string(), "队伍".to_string(), "得分".to_string()];
        let rows = vec![
            vec![
                "1".to_string(),
                "千里眼蓝队".to_string(),
                "88.00".to_string(),
            ],
            vec!["2".to_string(), "red".to_string(), "70.10".to_string()],
        ];
        let lines = table(&head, &rows);
        // The third column starts at the same display column on every line.
        let starts: Vec<usize> = lines
            .iter()
            .zip(["得分", "88.00", "70.10"])
            .map(|(l, cell)| display_width(&l[..l.find(cell).unwrap()]))
            .collect();
        assert_eq!(starts, vec![starts[0]; 3], "{lines:#?}");
        assert_eq!(starts[0], 4 + 2 + 10 + 2);
    }
}
