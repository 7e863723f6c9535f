SELECT size FROM catalog_files WHERE sha256 = ?1 LIMIT 1
