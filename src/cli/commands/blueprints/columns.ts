export const BLUEPRINT_COLUMNS = [
  'id',
  'description',
  'main_file_name',
  'created_at',
  'updated_at',
  'visibility',
  'tenant_name',
  'created_by',
];
