-- The releases the updater of one platform on one channel may install: not withdrawn, with a
-- bundle for exactly that platform, on its channel (`beta` also sees stable releases). The caller
-- picks the newest by semver precedence, which SQL cannot order by.
SELECT r.id, r.version, r.notes, r.pub_date, f.file_name, f.signature
FROM releases r
JOIN release_files f ON f.release_id = r.id
WHERE f.target = ?1 AND f.arch = ?2 AND f.bundle = ?3
  AND r.withdrawn_ms IS NULL
  AND (r.channel = 'stable' OR ?4 = 'beta')
