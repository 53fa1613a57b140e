package config

// The vendors xsoc is built with. Each registers itself with integrations.Register;
// importing them here means that wherever the customers file is read, every vendor it
// may name is known. A new vendor is one package and one line here.
import (
	_ "xsoc/integrations/cybereason"
	_ "xsoc/integrations/withsecure"
	_ "xsoc/integrations/zscaler"
)
