-- What a result shows of one section (?1: sections.id).
SELECT s.heading, s.heading_index, s.anchor, s.body, p.item_id, p.title, p.path, c.course_id,
       c.stemming
FROM sections AS s
JOIN pages AS p ON p.id = s.page
JOIN courses AS c ON c.id = p.course
WHERE s.id = ?1
