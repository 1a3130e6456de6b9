"""What people read: the results folder, terminal tables, figures and the HTML report."""
