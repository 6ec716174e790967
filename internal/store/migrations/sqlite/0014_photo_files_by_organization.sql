-- The photo quota counts and sums an organisation's uploaded files on
-- every upload; without this index that is a scan of every file.
CREATE INDEX photo_files_organization ON photo_files (organization_id);
