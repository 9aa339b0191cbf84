/**
 * The mke2fs.conf every ext4 image is made with (Debian 12's defaults for ext4), passed through
 * MKE2FS_CONFIG so the host's /etc/mke2fs.conf cannot change the bytes we produce.
 */
export const mke2fsConfig = `[defaults]
	base_features = sparse_super,large_file,filetype,resize_inode,dir_index,ext_attr
	default_mntopts = acl,user_xattr
	enable_periodic_fsck = 0
	blocksize = 4096
	inode_size = 256
	inode_ratio = 16384

[fs_types]
	ext4 = {
		features = has_journal,extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize
	}
`;
